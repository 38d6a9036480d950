"""Creates the stacks moto can model, in moto's in-process AWS, and checks what they made with describe calls.

moto (5.x) models through CloudFormation: S3, VPCs, subnets, route tables and routes, security
groups and rules, EC2 instances (it checks that LabInstanceProfile exists), EFS with mount
targets, ALBs with target groups, listeners and rules. It does not model, and so these stacks
are checked only statically (test_conformance_*.py): CloudWatch alarms (skipped with a warning
inside the fleet and NAT stacks), SSM associations, inter-region VPC peering (lks-peering,
lks-peering-routes-zone-b), NLB subnet mappings with fixed IPs and TCP listeners (lks-gateway-*),
RDS endpoint attributes (lks-database), Cognito, Amplify and API Gateway authorizers/VPC links
(lks-auth, lks-web, lks-api), the LoadBalancerFullName attribute (so the fleet stacks come up
without outputs), subnet-to-route-table associations (not shown by describe, never deleted), the
NAT's SourceDestCheck, target registration from TargetGroup Targets, and it does not run user
data or Ansible. The conformance suite checks each of those statically. No network traffic:
everything happens inside this process.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterator

import boto3
import pytest

from cfn_model import ROOT, region, stacks, subnet_cidr, topology

MODELLED = [
    "lks-artefacts-zone-a", "lks-artefacts-zone-b", "lks-network-zone-a", "lks-network-zone-b",
    "lks-security-zone-a", "lks-security-zone-b", "lks-nat-zone-a", "lks-nat-zone-b",
    "lks-storage", "lks-fleet-zone-a", "lks-fleet-zone-b",
]
ACCOUNT = "123456789012"
UBUNTU = "/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id"
ZONES = {"us-east-1": "zone-a", "us-west-2": "zone-b"}


def seed_learner_lab_account() -> None:
    """What a Learner Lab account already has: LabRole, LabInstanceProfile, Canonical's public AMI parameter."""
    iam = boto3.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": ["ec2.amazonaws.com", "lambda.amazonaws.com"]}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="LabRole", AssumeRolePolicyDocument=json.dumps(trust))
    iam.create_instance_profile(InstanceProfileName="LabInstanceProfile")
    iam.add_role_to_instance_profile(InstanceProfileName="LabInstanceProfile", RoleName="LabRole")
    # moto ships no Canonical parameters and refuses /aws/ names through the API, so the public
    # parameter is placed in its backend directly, pointing at an image moto knows.
    from moto.core.utils import utcnow
    from moto.ssm.models import Parameter, ssm_backends
    for name in ZONES:
        image = boto3.client("ec2", region_name=name).describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
        ssm_backends[ACCOUNT][name]._parameters[UBUNTU].append(Parameter(
            account_id=ACCOUNT, name=UBUNTU, value=image, parameter_type="String", description=None,
            allowed_pattern=None, keyid=None, last_modified_date=utcnow(), version=1, data_type="aws:ec2:image",
        ))


@pytest.fixture(scope="module")
def deployed() -> Iterator[dict[tuple[str, str], str]]:
    """Deploys the modelled stacks in stacks.json order, passing outputs across regions like cakap aws deploy."""
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_SESSION_TOKEN="testing", AWS_DEFAULT_REGION="us-east-1")
    from moto import mock_aws
    with mock_aws(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        seed_learner_lab_account()
        outputs: dict[tuple[str, str], str] = {}
        for entry in stacks():
            if entry["name"] not in MODELLED:
                continue
            parameters = []
            for key, source in entry["parameters"].items():
                if "value" in source:
                    value = source["value"]
                elif "stack" in source:
                    value = outputs[(source["stack"], source["output"])]
                elif "setting" in source:  # cakap aws deploy reads CAKAP_ALARM_EMAIL
                    value = "ops@example.com"
                elif "ssmParameter" in source:  # what cakap aws deploy reads when it creates the stack
                    value = boto3.client("ssm", region_name=entry["region"]).get_parameter(Name=source["ssmParameter"])["Parameter"]["Value"]
                else:
                    value = next(a["key"] for a in json.loads((ROOT / "infra" / "stacks.json").read_text())["artefacts"] if a["name"] == source["artefact"])
                parameters.append({"ParameterKey": key, "ParameterValue": value})
            cloudformation = boto3.client("cloudformation", region_name=entry["region"])
            cloudformation.create_stack(StackName=entry["name"], TemplateBody=(ROOT / entry["template"]).read_text(), Parameters=parameters, Tags=[{"Key": "Project", "Value": "cakap"}])
            described = cloudformation.describe_stacks(StackName=entry["name"])["Stacks"][0]
            assert described["StackStatus"] == "CREATE_COMPLETE", (entry["name"], described.get("StackStatusReason"))
            for output in described.get("Outputs", []):
                outputs[(entry["name"], output["OutputKey"])] = output["OutputValue"]
        yield outputs


def ec2(name: str):
    return boto3.client("ec2", region_name=name)


def named(items: list[dict]) -> dict[str, dict]:
    return {next(t["Value"] for t in item.get("Tags", []) if t["Key"] == "Name"): item for item in items if any(t["Key"] == "Name" for t in item.get("Tags", []))}


@pytest.mark.parametrize("region_name", ZONES)
def test_r_net_1_r_net_3_vpc_and_subnets_exist_with_exact_ranges_and_zones(deployed, region_name: str) -> None:
    """R-NET-1/3 in moto: the VPC and its three subnets with the exact CIDRs and availability zones."""
    zone = ZONES[region_name]
    vpc_id = deployed[(f"lks-network-{zone}", "VpcId")]
    (vpc,) = ec2(region_name).describe_vpcs(VpcIds=[vpc_id])["Vpcs"]
    assert vpc["CidrBlock"] == region(region_name)["vpcCidr"]
    subnets = named(ec2(region_name).describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"])
    expected = {s["name"]: (s["cidr"], region_name + s["az"]) for s in region(region_name)["subnets"]}
    assert {n: (s["CidrBlock"], s["AvailabilityZone"]) for n, s in subnets.items()} == expected


@pytest.mark.parametrize("region_name", ZONES)
def test_r_net_4_r_net_5_two_route_tables_public_to_igw_private_to_the_nat_instance(deployed, region_name: str) -> None:
    """R-NET-4/5 in moto: besides the implicit main table, exactly lks-rtb-public and lks-rtb-private; private 0.0.0.0/0 → NAT instance."""
    zone = ZONES[region_name]
    vpc_id = deployed[(f"lks-network-{zone}", "VpcId")]
    tables = ec2(region_name).describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]
    ours = [t for t in tables if not any(a.get("Main") for a in t.get("Associations", []))]
    assert len(ours) == 2
    by_id = {t["RouteTableId"]: t for t in ours}
    public = by_id[deployed[(f"lks-network-{zone}", "PublicRouteTableId")]]
    private = by_id[deployed[(f"lks-network-{zone}", "PrivateRouteTableId")]]
    default = lambda t: next(r for r in t["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0")
    assert default(public)["GatewayId"].startswith("igw-")
    assert default(private)["InstanceId"] == deployed[(f"lks-nat-{zone}", "NatInstanceId")]
    # (moto does not record CloudFormation subnet associations; test_conformance_network checks them.)
    (nat,) = ec2(region_name).describe_instances(InstanceIds=[default(private)["InstanceId"]])["Reservations"][0]["Instances"]
    assert nat["InstanceType"] == "t2.micro"  # (moto ignores SourceDestCheck; the conformance suite checks it)


@pytest.mark.parametrize(("region_name", "expected"), [("us-east-1", ["lks-sg-db", "lks-sg-efs", "lks-sg-lb", "lks-sg-llm", "lks-sg-nat"]), ("us-west-2", ["lks-sg-lb", "lks-sg-llm"])])
def test_r_sg_6_security_group_counts_per_region(deployed, region_name: str, expected: list[str]) -> None:
    """R-SG-6 in moto: 5 groups in us-east-1, 2 in us-west-2 (plus the VPC default group)."""
    vpc_id = deployed[(f"lks-network-{ZONES[region_name]}", "VpcId")]
    groups = ec2(region_name).describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["SecurityGroups"]
    assert sorted(g["GroupName"] for g in groups if g["GroupName"] != "default") == expected


@pytest.mark.parametrize("region_name", ZONES)
def test_r_sg_2_r_sg_7_worker_group_admits_11434_from_the_balancer_only_and_nothing_from_anywhere(deployed, region_name: str) -> None:
    """R-SG-2/7 in moto: lks-sg-llm's only ingress is 11434 from lks-sg-lb; no group admits 0.0.0.0/0."""
    zone = ZONES[region_name]
    vpc_id = deployed[(f"lks-network-{zone}", "VpcId")]
    groups = {g["GroupName"]: g for g in ec2(region_name).describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["SecurityGroups"]}
    (permission,) = groups["lks-sg-llm"]["IpPermissions"]
    assert (permission["FromPort"], permission["ToPort"]) == (11434, 11434)
    assert [p["GroupId"] for p in permission["UserIdGroupPairs"]] == [groups["lks-sg-lb"]["GroupId"]]
    for group in groups.values():
        for rule in group["IpPermissions"]:
            assert all(r["CidrIp"] != "0.0.0.0/0" for r in rule.get("IpRanges", [])), group["GroupName"]
    if region_name == "us-west-2":
        ports = sorted(p["FromPort"] for p in groups["default"]["IpPermissions"] if p.get("IpRanges"))
        assert ports == [80, 443], "the NAT's rules are on the default group"


@pytest.mark.parametrize("region_name", ZONES)
def test_r_llm_2_six_t2_large_workers_in_the_private_subnets_with_lab_profile(deployed, region_name: str) -> None:
    """R-LLM-2 in moto: 3 pools × 2 availability zones of t2.large, in the private subnets, LabInstanceProfile, no key pair."""
    zone = ZONES[region_name]
    reservations = ec2(region_name).describe_instances(Filters=[{"Name": "tag:Role", "Values": ["llm-worker"]}, {"Name": "instance-state-name", "Values": ["running", "pending"]}])["Reservations"]
    workers = [i for r in reservations for i in r["Instances"]]
    assert len(workers) == 6
    private = {deployed[(f"lks-network-{zone}", "PrivateSubnetAId")]: "a", deployed[(f"lks-network-{zone}", "PrivateSubnetBId")]: "b"}
    placed = sorted((next(t["Value"] for t in w["Tags"] if t["Key"] == "Pool"), private[w["SubnetId"]]) for w in workers)
    assert placed == sorted((p["name"], az) for p in topology()["pools"] for az in ("a", "b"))
    for worker in workers:
        assert worker["InstanceType"] == "t2.large"
        assert worker["IamInstanceProfile"]["Arn"].endswith("/LabInstanceProfile")
        assert "KeyName" not in worker or not worker["KeyName"]


@pytest.mark.parametrize("region_name", ZONES)
def test_r_llm_5_private_alb_rules_and_target_groups(deployed, region_name: str) -> None:
    """R-LLM-5 in moto: internal ALB, port 80, rules in topology order, target groups on 11434 health-checking /health/ready."""
    elb = boto3.client("elbv2", region_name=region_name)
    # moto cannot compute LoadBalancerFullName, so it drops the fleet stack's outputs: find the ALB by name.
    (balancer,) = elb.describe_load_balancers(Names=[f"lks-alb-{ZONES[region_name]}"])["LoadBalancers"]
    assert balancer["Scheme"] == "internal" and balancer["Type"] == "application"
    (listener,) = elb.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]
    assert listener["Port"] == 80
    groups = {g["TargetGroupArn"]: g for g in elb.describe_target_groups(LoadBalancerArn=balancer["LoadBalancerArn"])["TargetGroups"]}
    for group in groups.values():
        assert group["Port"] == 11434 and group["HealthCheckPath"] == "/health/ready"
    rules = [r for r in elb.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"] if not r["IsDefault"]]
    seen = []
    for rule in sorted(rules, key=lambda r: int(r["Priority"])):
        path = rule["Conditions"][0]["PathPatternConfig"]["Values"][0] if "PathPatternConfig" in rule["Conditions"][0] else rule["Conditions"][0]["Values"][0]
        action = rule["Actions"][0]
        target = groups[action["TargetGroupArn"]]["TargetGroupName"].split("-")[2] if action["Type"] == "forward" else action["FixedResponseConfig"]["MessageBody"]
        seen.append((int(rule["Priority"]), path, target))
    # issue 19: the AWS-only management refusals come before every forward rule
    expected = [(r["priority"], r["path"], r.get("pool") or r["fixedResponse"]["body"]) for r in topology()["albManagementRules"] + topology()["albRules"]]
    assert seen == expected


def test_r_efs_1_r_efs_2_one_file_system_with_mount_targets_at_the_fixed_ips(deployed) -> None:
    """R-EFS-1/2 in moto: one file system in us-east-1, bursting, mount targets at the topology's IPs; none in us-west-2."""
    efs = boto3.client("efs", region_name="us-east-1")
    (fs,) = efs.describe_file_systems()["FileSystems"]
    assert fs["ThroughputMode"] == "bursting" and fs["Encrypted"] is True
    ips = sorted(m["IpAddress"] for m in efs.describe_mount_targets(FileSystemId=fs["FileSystemId"])["MountTargets"])
    assert ips == sorted(region("us-east-1")["efsMountTargets"].values())
    assert boto3.client("efs", region_name="us-west-2").describe_file_systems()["FileSystems"] == []
    assert subnet_cidr("us-east-1", "private", "a").startswith("172.32.1.")


def test_r_ops_5_destroy_in_reverse_order_leaves_only_the_empty_networks(deployed) -> None:
    """R-OPS-5 in moto: deleting the stacks above the network in reverse order leaves no instance, balancer,
    security group (but the default), file system or bucket. moto cannot delete the network stacks themselves: it never
    removes CloudFormation subnet associations nor the terminated instances' interfaces, so their VPCs stay "in use"."""
    for entry in reversed([s for s in stacks() if s["name"] in MODELLED and not s["name"].startswith("lks-network")]):
        boto3.client("cloudformation", region_name=entry["region"]).delete_stack(StackName=entry["name"])
    for region_name, zone in ZONES.items():
        vpc_id = deployed[(f"lks-network-{zone}", "VpcId")]
        groups = ec2(region_name).describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["SecurityGroups"]
        assert [g["GroupName"] for g in groups] == ["default"]
        alive = ec2(region_name).describe_instances(Filters=[{"Name": "instance-state-name", "Values": ["running", "pending", "stopped"]}])["Reservations"]
        assert alive == []
        assert boto3.client("elbv2", region_name=region_name).describe_load_balancers()["LoadBalancers"] == []
        # (moto keeps target groups of a deleted stack; AWS deletes them with it.)
    assert boto3.client("s3").list_buckets()["Buckets"] == []
    assert boto3.client("efs", region_name="us-east-1").describe_file_systems()["FileSystems"] == []
