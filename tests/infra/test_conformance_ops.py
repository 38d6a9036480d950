"""Operations requirements (R-OPS-*) over every resource of every stack, and stacks.json integrity."""

from __future__ import annotations

import re

import pytest

from cfn_model import UNKNOWN, ROOT, resolve, resources, stack_parameters, stack_template, stacks, stacks_document, tag_property, tags, template, template_paths

# The property holding a resource's own name, for the types that have one (R-OPS-3).
NAME_PROPERTIES = {
    "AWS::S3::Bucket": "BucketName",
    "AWS::EC2::SecurityGroup": "GroupName",
    "AWS::ElasticLoadBalancingV2::LoadBalancer": "Name",
    "AWS::ElasticLoadBalancingV2::TargetGroup": "Name",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::SSM::Association": "AssociationName",
    "AWS::CloudWatch::Alarm": "AlarmName",
    "AWS::CloudWatch::Dashboard": "DashboardName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::ApiGateway::RestApi": "Name",
    "AWS::ApiGateway::Authorizer": "Name",
    "AWS::ApiGateway::VpcLink": "Name",
    "AWS::ApiGateway::Stage": "StageName",
    "AWS::SecretsManager::Secret": "Name",
    "AWS::RDS::DBSubnetGroup": "DBSubnetGroupName",
    "AWS::RDS::DBParameterGroup": "DBParameterGroupName",
    "AWS::RDS::DBInstance": "DBInstanceIdentifier",
    "AWS::Cognito::UserPool": "UserPoolName",
    "AWS::Cognito::UserPoolClient": "ClientName",
    "AWS::Amplify::App": "Name",
    "AWS::Amplify::Branch": "BranchName",
}
# Types with neither a name property nor tags: parts of a named resource (a route of a route table,
# a method of the API, ...). They are described in Metadata instead (see the description test).
SUB_RESOURCES = {
    "AWS::EC2::Route", "AWS::EC2::SubnetRouteTableAssociation", "AWS::EC2::VPCGatewayAttachment",
    "AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress", "AWS::EFS::MountTarget",
    "AWS::S3::BucketPolicy", "AWS::ApiGateway::Resource", "AWS::ApiGateway::Method", "AWS::ApiGateway::Deployment",
    "AWS::ApiGateway::GatewayResponse", "AWS::ApiGateway::Account", "AWS::Lambda::Permission",
    "AWS::SecretsManager::SecretTargetAttachment",
}
# Names AWS dictates (the log group RDS exports to); each still carries lks- inside.
DICTATED_NAMES = {"/aws/rds/instance/lks-db/postgresql"}
# Properties that describe a resource, for the types that have one.
DESCRIPTION_PROPERTIES = ("Description", "GroupDescription", "AlarmDescription", "DBSubnetGroupDescription")
ROLE_PROPERTIES = ("Role", "RoleArn", "CloudWatchRoleArn", "ExecutionRoleArn", "ServiceRole", "IAMServiceRole", "IamInstanceProfile")


def every_resource():
    for entry in stacks():
        params = stack_parameters(entry)
        for logical, resource in resources(stack_template(entry)).items():
            yield entry, logical, resource, params


def test_every_template_is_deployed_by_stacks_json_in_its_region() -> None:
    """R-OPS-1: every template belongs to a stack; region folders match the stack's region; only us-east-1 and us-west-2."""
    used = {s["template"].removeprefix("infra/cloudformation/") for s in stacks()}
    assert used == set(template_paths())
    for entry in stacks():
        assert entry["region"] in ("us-east-1", "us-west-2")
        folder = entry["template"].split("/")[2]
        assert folder in ("common", entry["region"]), entry["name"]
        assert entry["name"].startswith("lks-")


def test_stacks_json_parameters_exist_required_ones_are_given_and_outputs_come_from_earlier_stacks() -> None:
    """stacks.json is deployable in order: every parameter exists, none without default is missing, every output exists earlier."""
    seen: dict[str, set[str]] = {}
    artefacts = {a["name"] for a in stacks_document()["artefacts"]}
    for entry in stacks():
        doc = stack_template(entry)
        declared = doc.get("Parameters", {})
        assert set(entry["parameters"]) <= set(declared), entry["name"]
        missing = [k for k, p in declared.items() if "Default" not in p and k not in entry["parameters"]]
        assert missing == [], (entry["name"], missing)
        for key, source in entry["parameters"].items():
            if "stack" in source:
                assert source["output"] in seen.get(source["stack"], set()), (entry["name"], key, source)
            elif "artefact" in source:
                assert source["artefact"] in artefacts
            elif "setting" in source:
                assert source["setting"] == "CAKAP_ALARM_EMAIL" and key == "AlarmEmail"
            elif "ssmParameter" in source:
                assert source["ssmParameter"].startswith("/aws/service/") and declared[key]["Type"] == "AWS::EC2::Image::Id"
            else:
                assert set(source) == {"value"}
                allowed = declared[key].get("AllowedValues")
                assert allowed is None or source["value"] in [str(v) for v in allowed], (entry["name"], key)
        seen[entry["name"]] = set(doc.get("Outputs", {}))
    assert stacks_document()["capabilities"] == []


def test_r_ops_2_no_iam_resources_at_all() -> None:
    """R-OPS-2: the account cannot create roles: no AWS::IAM::* resource in any template."""
    for path in template_paths():
        for logical, resource in resources(template(path)).items():
            assert not resource["Type"].startswith("AWS::IAM::"), (path, logical)


def test_r_ops_2_every_role_is_lab_role_and_ec2_uses_lab_instance_profile() -> None:
    """R-OPS-2: every role-valued property resolves to LabRole (by account id) or LabInstanceProfile."""
    checked = 0
    for entry, logical, resource, params in every_resource():
        for prop in ROLE_PROPERTIES:
            if prop in resource.get("Properties", {}):
                value = resolve(resource["Properties"][prop], params)
                assert value in ("LabInstanceProfile",) or value == "arn:aws:iam::123456789012:role/LabRole", (entry["name"], logical, value)
                checked += 1
    assert checked >= 2 + 1 + 6 * 2 + 2  # lambdas, API account, workers, NATs


def test_r_ops_3_every_resource_is_named_lks() -> None:
    """R-OPS-3: a resource's own name (or, for EC2 and EFS, its Name tag) starts with lks-; types with neither are sub-resources."""
    for entry, logical, resource, params in every_resource():
        kind = resource["Type"]
        props = resource.get("Properties", {})
        if kind in NAME_PROPERTIES:
            name = resolve(props.get(NAME_PROPERTIES[kind]), params)
        elif tag_property(kind):
            name = resolve(tags(resource).get("Name"), params)
        else:
            assert kind in SUB_RESOURCES, f"{kind}: classify it (own name, Name tag, or sub-resource)"
            continue
        assert isinstance(name, str) and UNKNOWN not in name, (entry["name"], logical, name)
        assert name.startswith("lks-") or name in DICTATED_NAMES, (entry["name"], logical, name)


def test_sub_resources_really_have_no_name_or_tags() -> None:
    """The exemption list above is honest: per cfn-lint's resource schemas none of them can be tagged."""
    for kind in SUB_RESOURCES:
        assert tag_property(kind) is None, kind


def test_r_ops_3_every_taggable_resource_is_tagged() -> None:
    """R-OPS-3: every resource whose type supports tags has Name, Project=cakap, Component and Zone."""
    for entry, logical, resource, params in every_resource():
        if not tag_property(resource["Type"]):
            continue
        found = {k: resolve(v, params) for k, v in tags(resource).items()}
        assert found.get("Project") == "cakap", (entry["name"], logical)
        assert {"Name", "Component", "Zone"} <= set(found), (entry["name"], logical, found)
        assert found["Zone"] in ("lks-zone-a", "lks-zone-b")


def test_r_ops_3_every_resource_and_template_is_described() -> None:
    """R-OPS-3: a description property, a Description tag, or (types with neither) a Metadata Description."""
    for path in template_paths():
        assert len(template(path)["Description"]) > 60, path
    tag_charset = re.compile(r"^[\w .:/=+\-@]*$")
    for entry, logical, resource, params in every_resource():
        props = resource.get("Properties", {})
        text = next((props[p] for p in DESCRIPTION_PROPERTIES if p in props), None)
        if text is None:
            text = tags(resource).get("Description")
            if text is not None:
                # Tag values of ELB, SSM and others accept only this set; kept for every type alike.
                assert tag_charset.match(str(resolve(text, params))), (entry["name"], logical)
        if text is None:
            text = resource.get("Metadata", {}).get("Description")
        assert text, (entry["name"], logical)


def test_r_ops_5_nothing_is_retained_or_protected_from_teardown() -> None:
    """R-OPS-5: no Retain/Snapshot deletion policy, no deletion protection, so destroy removes everything."""
    for entry, logical, resource, params in every_resource():
        assert resource.get("DeletionPolicy", "Delete") == "Delete", (entry["name"], logical)
        assert resource.get("UpdateReplacePolicy", "Delete") == "Delete", (entry["name"], logical)
        props = resource.get("Properties", {})
        assert props.get("DeletionProtection") in (None, False, "INACTIVE"), (entry["name"], logical)
        for attribute in props.get("LoadBalancerAttributes", []):
            if attribute["Key"] == "deletion_protection.enabled":
                assert attribute["Value"] == "false"


SIZES = ["nano", "micro", "small", "medium", "large"]


@pytest.mark.parametrize("path", template_paths())
def test_r_ops_7_instance_types_at_most_large(path: str) -> None:
    """R-OPS-7: every EC2 or RDS instance type allowed by a template is at most 'large'."""
    doc = template(path)
    for name, parameter in doc.get("Parameters", {}).items():
        if name.endswith("InstanceType") or name.endswith("InstanceClass"):
            for value in parameter.get("AllowedValues", [parameter.get("Default")]):
                assert value.split(".")[-1] in SIZES, (path, name, value)


def test_r_ops_4_alarms_cover_the_whole_system_and_a_dashboard_exists() -> None:
    """R-OPS-4: alarms on ALB 5xx, unhealthy targets, API 5xx and latency, Lambda errors and throttles, RDS CPU/storage/connections, status checks."""
    metrics = set()
    dashboards = 0
    for entry, logical, resource, params in every_resource():
        if resource["Type"] == "AWS::CloudWatch::Alarm":
            metrics.add((resource["Properties"]["Namespace"], resource["Properties"]["MetricName"]))
        dashboards += resource["Type"] == "AWS::CloudWatch::Dashboard"
    assert dashboards == 1
    assert {
        ("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count"), ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count"),
        ("AWS/ApplicationELB", "UnHealthyHostCount"), ("AWS/ApiGateway", "5XXError"), ("AWS/ApiGateway", "Latency"),
        ("AWS/Lambda", "Errors"), ("AWS/Lambda", "Throttles"), ("AWS/RDS", "CPUUtilization"),
        ("AWS/RDS", "FreeStorageSpace"), ("AWS/RDS", "DatabaseConnections"), ("AWS/EC2", "StatusCheckFailed"),
    } <= metrics
    assert (ROOT / "infra" / "ansible" / "templates" / "amazon-cloudwatch-agent.json.j2").exists()
