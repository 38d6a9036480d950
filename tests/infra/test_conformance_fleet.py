"""LLM fleet requirements (R-LLM-*), read from common/fleet.yaml, the playbook and config/topology.json."""

from __future__ import annotations

import re

import jinja2
import yaml

from cfn_model import ANSIBLE, resolve, resources, stack, stack_parameters, template, topology

FLEET = "common/fleet.yaml"


def worker_instances() -> dict[str, dict]:
    return resources(template(FLEET), "AWS::EC2::Instance")


def tag(resource: dict, key: str):
    return {t["Key"]: t["Value"] for t in resource["Properties"]["Tags"]}[key]


def test_r_llm_1_r_llm_2_three_pools_with_a_backup_in_a_second_availability_zone() -> None:
    """R-LLM-1/2: llm, scoring, chat; per pool one worker in private subnet a and a backup in b (topology instancesPerAz)."""
    counts: dict[tuple[str, str], int] = {}
    for instance in worker_instances().values():
        subnet = instance["Properties"]["SubnetId"]["Ref"]
        az = {"PrivateSubnetAId": "a", "PrivateSubnetBId": "b"}[subnet]
        counts[(tag(instance, "Pool"), az)] = counts.get((tag(instance, "Pool"), az), 0) + 1
    expected = {(p["name"], az): n for p in topology()["pools"] for az, n in p["instancesPerAz"].items()}
    assert counts == expected
    assert {p["name"] for p in topology()["pools"]} == {"llm", "scoring", "chat"}


def test_r_llm_2_t2_large_ubuntu_from_the_public_ssm_parameter_lab_profile_no_key_pair() -> None:
    """R-LLM-2/R-OPS-2: t2.large, Ubuntu ≥ 20.04 from Canonical's SSM parameter, LabInstanceProfile, no key pair."""
    params = template(FLEET)["Parameters"]
    # A plain image id, read once from Canonical's parameter by the deployer (not an SSM-typed
    # parameter, which re-resolves on every update and replaces every worker: issue 20).
    assert params["WorkerImageId"]["Type"] == "AWS::EC2::Image::Id"
    for zone in ("zone-a", "zone-b"):
        source = stack(f"lks-fleet-{zone}")["parameters"]["WorkerImageId"]["ssmParameter"]
        version = re.search(r"/aws/service/canonical/ubuntu/server/(\d+)\.04/", source)
        assert version and int(version.group(1)) >= 20
    assert params["WorkerInstanceType"]["Default"] == topology()["worker"]["instanceType"] == "t2.large"
    for zone in ("zone-a", "zone-b"):
        assert stack_parameters(stack(f"lks-fleet-{zone}"))["WorkerInstanceType"] == "t2.large"
    assert params["InstanceProfileName"]["Default"] == "LabInstanceProfile"
    for logical, instance in worker_instances().items():
        props = instance["Properties"]
        assert props["ImageId"] == {"Ref": "WorkerImageId"} and props["InstanceType"] == {"Ref": "WorkerInstanceType"}
        assert props["IamInstanceProfile"] == {"Ref": "InstanceProfileName"}
        assert "KeyName" not in props, logical
        assert props["MetadataOptions"]["HttpTokens"] == "required"


def test_r_llm_3_configured_only_by_the_ansible_association_targeting_workers_by_tag() -> None:
    """R-LLM-3: no user data; State Manager runs AWS-ApplyAnsiblePlaybooks from S3 on tagged workers with efs_ip."""
    for logical, instance in worker_instances().items():
        assert "UserData" not in instance["Properties"], logical
        assert tag(instance, "Role") == "llm-worker"
        assert tag(instance, "Region") == {"Ref": "AWS::Region"}
    (association,) = resources(template(FLEET), "AWS::SSM::Association").values()
    props = association["Properties"]
    assert props["Name"] == "AWS-ApplyAnsiblePlaybooks"
    assert {"Key": "tag:Role", "Values": ["llm-worker"]} in props["Targets"]
    parameters = props["Parameters"]
    assert parameters["SourceType"] == ["S3"]
    assert parameters["PlaybookFile"] == ["worker.yml"]
    assert (ANSIBLE / "worker.yml").exists()
    extra = parameters["ExtraVariables"][0]["Fn::Sub"]
    assert "efs_ip=${EfsIp}" in extra and "cakap_model_puller=${ModelPuller}" in extra
    assert "ScheduleExpression" in props


def test_r_llm_5_alb_rules_equal_the_topology() -> None:
    """R-LLM-5: the listener rules of the private ALB are exactly config/topology.json's albRules, in priority order,
    after the AWS-only albManagementRules (issue 19)."""
    doc = template(FLEET)
    pool_of_group = {k: v["Properties"]["Name"]["Fn::Sub"].split("-")[2] for k, v in resources(doc, "AWS::ElasticLoadBalancingV2::TargetGroup").items()}
    rules = []
    for rule in resources(doc, "AWS::ElasticLoadBalancingV2::ListenerRule").values():
        props = rule["Properties"]
        (condition,) = props["Conditions"]
        assert condition["Field"] == "path-pattern"
        (path,) = condition["PathPatternConfig"]["Values"]
        (action,) = props["Actions"]
        entry = {"priority": props["Priority"], "path": path}
        if action["Type"] == "forward":
            entry["pool"] = pool_of_group[action["TargetGroupArn"]["Ref"]]
        else:
            config = action["FixedResponseConfig"]
            entry["fixedResponse"] = {"status": int(config["StatusCode"]), "contentType": config["ContentType"], "body": config["MessageBody"]}
        rules.append(entry)
    assert sorted(rules, key=lambda r: r["priority"]) == [*topology()["albManagementRules"], *topology()["albRules"]]
    (listener,) = resources(doc, "AWS::ElasticLoadBalancingV2::Listener").values()
    assert (listener["Properties"]["Port"], listener["Properties"]["Protocol"]) == (80, "HTTP")
    (default,) = listener["Properties"]["DefaultActions"]
    config = default["FixedResponseConfig"]
    assert {"status": int(config["StatusCode"]), "contentType": config["ContentType"], "body": config["MessageBody"]} == topology()["albDefault"]["fixedResponse"]
    (alb,) = resources(doc, "AWS::ElasticLoadBalancingV2::LoadBalancer").values()
    assert alb["Properties"]["Scheme"] == "internal" and alb["Properties"]["Type"] == "application"


def test_r_llm_5_target_groups_health_check_the_readiness_path_on_the_worker_port() -> None:
    """R-LLM-4/5: every target group forwards to port 11434 and health-checks /health/ready; both workers of its pool are targets."""
    doc = template(FLEET)
    worker = topology()["worker"]
    groups = resources(doc, "AWS::ElasticLoadBalancingV2::TargetGroup")
    assert len(groups) == 3
    for logical, group in groups.items():
        props = group["Properties"]
        assert props["Port"] == worker["port"] and props["HealthCheckPath"] == worker["readinessPath"]
        pool = logical.removesuffix("TargetGroup")
        assert sorted(t["Id"]["Ref"] for t in props["Targets"]) == [f"Worker{pool}A", f"Worker{pool}B"]


def test_r_llm_3_playbook_mounts_efs_by_the_ip_variable_with_the_recommended_options() -> None:
    """R-LLM-3/R-EFS-2: the playbook takes efs_ip and mounts it at /share (nfs4, recommended options)."""
    variables = yaml.safe_load((ANSIBLE / "vars" / "worker.yml").read_text())
    assert variables["efs_mount_point"] == "/share"
    options = variables["efs_mount_options"].split(",")
    for option in ("nfsvers=4.1", "rsize=1048576", "wsize=1048576", "hard", "timeo=600", "retrans=2", "noresvport"):
        assert option in options
    unit = jinja2.Template((ANSIBLE / "templates" / "share.mount.j2").read_text()).render(
        cakap_efs_address="172.32.1.10", efs_mount_point="/share", efs_mount_options=variables["efs_mount_options"], ansible_managed="managed"
    )
    assert "What=172.32.1.10:/" in unit and "Where=/share" in unit and "Type=nfs4" in unit
    assert f"Options={variables['efs_mount_options']}" in unit


def test_r_llm_4_worker_service_listens_on_all_interfaces_port_11434_with_models_on_efs() -> None:
    """R-LLM-4/R-EFS-2: systemd service cakap-worker on 0.0.0.0:11434, --models /share/models."""
    variables = yaml.safe_load((ANSIBLE / "vars" / "worker.yml").read_text())
    assert (variables["cakap_host"], variables["cakap_port"]) == ("0.0.0.0", topology()["worker"]["port"])
    unit = jinja2.Template((ANSIBLE / "templates" / "cakap-worker.service.j2").read_text()).render(
        cakap_host="0.0.0.0", cakap_port=11434, cakap_models_dir="/share/models", cakap_home="/opt/cakap",
        cakap_user="cakap", cakap_mount_unit="share.mount", cakap_state_dir="/var/lib/cakap", cakap_pool="chat", ansible_managed="managed",
    )
    assert "ExecStart=/opt/cakap/current/bin/cakap worker --host 0.0.0.0 --port 11434 --models /share/models" in unit
    assert "Requires=share.mount" in unit
    assert topology()["worker"]["modelsDirectory"] == "/share/models"


def test_r_llm_4_one_designated_puller_for_both_regions() -> None:
    """R-LLM-4: one worker pulls orca-mini, llama3, nomic-embed-text; every other one waits for them on EFS."""
    fleet_default = template(FLEET)["Parameters"]["ModelPuller"]["Default"]
    assert fleet_default == "lks-worker-llm-a-zone-a"
    for zone in ("zone-a", "zone-b"):
        assert stack_parameters(stack(f"lks-fleet-{zone}"))["ModelPuller"] == fleet_default
    assert set(template(FLEET)["Parameters"]["Models"]["Default"].split(",")) >= {"orca-mini", "llama3", "nomic-embed-text"}
    playbook = (ANSIBLE / "worker.yml").read_text()
    assert "cakap_is_puller" in playbook and "/api/pull" in playbook and "ansible.builtin.wait_for" in playbook
    names = {resolve(tag(i, "Name"), stack_parameters(stack("lks-fleet-zone-a"))) for i in worker_instances().values()}
    assert fleet_default in names
