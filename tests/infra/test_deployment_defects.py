"""Issue 20's functional defects (items 4-10), each as a check that would have failed before its fix.
The deployer's share (content-hashed artefact keys, templates over the inline limit, a teardown
that goes on past a failure and deletes EFS recovery points) is in Tests/DeploymentTests."""

from __future__ import annotations

import ipaddress
import re

import yaml

from cfn_model import ANSIBLE, resources, stack, stack_parameters, stacks, template
from worker_env import playbook_variables, render, worker_environment

API = "us-east-1/api.yaml"


def test_4_the_gateway_nlbs_fixed_addresses_are_reserved_before_the_fleet_starts() -> None:
    """lks-nlb-zone-b asks for fixed IPs in subnets whose workers (created first) could hold them:
    an explicit CIDR reservation in the network stack keeps them out of EC2's automatic assignment."""
    order = [entry["name"] for entry in stacks()]
    nlb = resources(template("us-west-2/gateway.yaml"), "AWS::ElasticLoadBalancingV2::LoadBalancer")
    (balancer,) = nlb.values()
    parameters = stack_parameters(stack("lks-gateway-zone-b"))
    network = stack_parameters(stack("lks-network-zone-b"))
    reservations = resources(template("common/network.yaml"), "AWS::EC2::SubnetCidrReservation")
    assert {r["Properties"]["ReservationType"] for r in reservations.values()} == {"explicit"}
    for mapping, side in zip(balancer["Properties"]["SubnetMappings"], ("A", "B"), strict=True):
        address = ipaddress.ip_address(parameters[mapping["PrivateIPv4Address"]["Ref"]])
        reserved = ipaddress.ip_network(network[f"ReservedCidr{side}"])
        subnet = ipaddress.ip_network(network[f"PrivateSubnet{side}Cidr"])
        assert address in reserved and reserved.subnet_of(subnet), (address, reserved)
        assert reserved.network_address >= subnet.network_address + 4  # AWS keeps the first four
    assert order.index("lks-network-zone-b") < order.index("lks-fleet-zone-b")


def test_7_zone_b_loads_models_across_regions_within_its_timeout() -> None:
    """us-west-2 reads models from us-east-1's EFS: a 15 MiB read-ahead unit runs after every mount and
    before the worker, and the worker's load timeout covers llama3 (4.7 GB) at a pessimistic 5 MB/s."""
    west = worker_environment({"cakap_region": "us-west-2"})
    seconds = int(west["CAKAP_LOAD_TIMEOUT"].rstrip("s"))
    assert seconds >= 4.7e9 / 5e6, west["CAKAP_LOAD_TIMEOUT"]
    assert int(worker_environment()["CAKAP_LOAD_TIMEOUT"].rstrip("s")) > 120  # the old default
    unit = render("efs-readahead.service.j2")
    assert "read_ahead_kb" in unit and "15360" in unit and "After=share.mount" in unit
    assert "$$(stat -c %%d /share)" in unit  # systemd's escapes for $( and %d
    assert "cakap-efs-readahead.service" in render("cakap-worker.service.j2").split("After=", 1)[1].splitlines()[0]


def test_8_the_tutor_answers_within_api_gateways_29_seconds() -> None:
    """The tutor's model calls once waited 30 s: now CAKAP_MODEL_TIMEOUT plus a cold start's database
    wait (8 s) plus the mistake-history deadline (3 s) fits the function timeout, which is under 29 s."""
    functions = resources(template(API), "AWS::Lambda::Function")
    tutor = next(f for f in functions.values() if f["Properties"]["Environment"]["Variables"].get("CAKAP_FUNCTION") == "tutor")
    model = int(tutor["Properties"]["Environment"]["Variables"]["CAKAP_MODEL_TIMEOUT"])
    assert model + 8 + 3 <= tutor["Properties"]["Timeout"] < 29
    for method in resources(template(API), "AWS::ApiGateway::Method").values():
        integration = method["Properties"].get("Integration", {})
        if integration.get("Type") == "AWS_PROXY":
            assert integration.get("TimeoutInMillis", 29000) <= 29000


def test_10_a_worker_starts_before_the_store_exists_and_every_worker_creates_it() -> None:
    """ReadWritePaths=/share/models stopped the unit on workers other than the puller until the
    puller had made the directory: the path is optional ("-") and every worker creates it first."""
    unit = render("cakap-worker.service.j2")
    assert re.search(r"^ReadWritePaths=-/share/models ", unit, re.M), unit
    (play,) = yaml.safe_load((ANSIBLE / "worker.yml").read_text())
    create = next(t for t in play["tasks"] if t.get("ansible.builtin.file", {}).get("path") == "{{ cakap_models_dir }}")
    assert "when" not in create
    names = [t["name"] for t in play["tasks"]]
    assert names.index(create["name"]) < names.index("Run the worker on 0.0.0.0:11434 for the balancer")


def test_10_the_nat_instance_forwards_before_it_installs_anything() -> None:
    """apt ran before iptables under set -e: a held dpkg lock left the zone without NAT (and SSM)."""
    (instance,) = resources(template("common/nat.yaml"), "AWS::EC2::Instance").values()
    script = instance["Properties"]["UserData"]["Fn::Base64"]["Fn::Sub"]
    assert script.index("-j MASQUERADE") < script.index("apt-get")
    assert not re.search(r"^\s*set -[a-z]*e", script, re.M)
    assert "DPkg::Lock::Timeout" in script and "for attempt in" in script


def test_10_backup_workers_mount_their_own_zones_mount_target() -> None:
    """Workers in availability zone b mount the b mount target (the association passes both)."""
    b = render("share.mount.j2", {"cakap_availability_zone": "us-east-1b"})
    a = render("share.mount.j2", {"cakap_availability_zone": "us-east-1a"})
    assert "What=172.32.1.138:/" in b and "What=172.32.1.10:/" in a
    (association,) = resources(template("common/fleet.yaml"), "AWS::SSM::Association").values()
    assert "efs_ip_b=${EfsIpB}" in association["Properties"]["Parameters"]["ExtraVariables"][0]["Fn::Sub"]
    for zone in ("zone-a", "zone-b"):
        assert stack(f"lks-fleet-{zone}")["parameters"]["EfsIpB"] == {"stack": "lks-storage", "output": "MountTargetIpB"}


def test_10_the_database_version_survives_automatic_minor_upgrades() -> None:
    """EngineVersion 17.6 with AutoMinorVersionUpgrade read as a downgrade after the first upgrade."""
    doc = template("us-east-1/database.yaml")
    (instance,) = resources(doc, "AWS::RDS::DBInstance").values()
    assert instance["Properties"]["AutoMinorVersionUpgrade"] is True
    assert re.fullmatch(r"\d+", doc["Parameters"]["DatabaseEngineVersion"]["Default"])
    assert doc["Parameters"]["DatabaseEngineVersion"]["AllowedPattern"] == "^17$"


def test_10_every_alarm_notifies_a_subscribed_topic_and_stopped_instances_raise_none() -> None:
    """R-OPS-4: no alarm notified anyone; status checks alarmed whenever the lab stopped instances."""
    (topic,) = resources(template("common/artefacts.yaml"), "AWS::SNS::Topic").values()
    (subscription,) = topic["Properties"]["Subscription"]
    assert subscription == {"Protocol": "email", "Endpoint": {"Ref": "AlarmEmail"}}
    for entry in stacks():
        if entry["template"].endswith("artefacts.yaml"):
            assert entry["parameters"]["AlarmEmail"] == {"setting": "CAKAP_ALARM_EMAIL"}
    count = 0
    for entry in stacks():
        alarms = resources(template(entry["template"].split("cloudformation/", 1)[1]), "AWS::CloudWatch::Alarm")
        if not alarms:
            continue
        zone = {"us-east-1": "zone-a", "us-west-2": "zone-b"}[entry["region"]]
        assert entry["parameters"]["AlarmTopicArn"] == {"stack": f"lks-artefacts-{zone}", "output": "AlarmTopicArn"}
        for logical, alarm in alarms.items():
            count += 1
            assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopicArn"}], logical
            if alarm["Properties"]["MetricName"] == "StatusCheckFailed":
                assert alarm["Properties"]["TreatMissingData"] == "notBreaching", logical
    assert count >= 20


def test_10_the_playbooks_waits_fit_the_documents_timeout() -> None:
    """Three 3600 s waits could not finish inside the run's 3600 s: every wait shares one budget."""
    (association,) = resources(template("common/fleet.yaml"), "AWS::SSM::Association").values()
    parameters = association["Properties"]["Parameters"]
    assert parameters["TimeoutSeconds"] == [{"Ref": "PlaybookTimeoutSeconds"}]
    timeout = template("common/fleet.yaml")["Parameters"]["PlaybookTimeoutSeconds"]["Default"]
    assert "cakap_playbook_timeout_seconds=${PlaybookTimeoutSeconds}" in parameters["ExtraVariables"][0]["Fn::Sub"]
    variables = playbook_variables({"cakap_playbook_timeout_seconds": timeout})
    models = len(variables["cakap_model_list"])
    assert models >= 5
    (play,) = yaml.safe_load((ANSIBLE / "worker.yml").read_text())
    live = next(t for t in play["tasks"] if t["name"] == "Wait until the worker is live")
    waits = models * int(variables["cakap_model_wait_seconds"]) + live["retries"] * live["delay"]
    assert waits + 300 <= timeout, (waits, timeout)  # 300 s for apt, the mount and the unpack
