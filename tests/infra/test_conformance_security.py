"""Security-group requirements, one test per rule (R-SG-1..7), read from the templates and stacks.json."""

from __future__ import annotations

from typing import Any

from cfn_model import resolve, resources, stack, stack_parameters, stack_template, stacks

ANYWHERE = {"0.0.0.0/0", "::/0"}


def groups_by_region() -> dict[str, dict[str, tuple[dict[str, Any], dict[str, Any]]]]:
    """region -> group name -> (resource, stack parameters)."""
    found: dict[str, dict[str, Any]] = {"us-east-1": {}, "us-west-2": {}}
    for entry in stacks():
        params = stack_parameters(entry)
        for group in resources(stack_template(entry), "AWS::EC2::SecurityGroup").values():
            found[entry["region"]][resolve(group["Properties"]["GroupName"], params)] = (group, params)
    return found


def all_rules(direction: str) -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """(stack, group logical id or GroupId ref, rule, params) for every inline or standalone rule."""
    inline_key = "SecurityGroupIngress" if direction == "ingress" else "SecurityGroupEgress"
    standalone = "AWS::EC2::SecurityGroupIngress" if direction == "ingress" else "AWS::EC2::SecurityGroupEgress"
    rules = []
    for entry in stacks():
        doc = stack_template(entry)
        params = stack_parameters(entry)
        for logical, group in resources(doc, "AWS::EC2::SecurityGroup").items():
            for rule in group["Properties"].get(inline_key, []):
                rules.append((entry["name"], logical, rule, params))
        for rule in resources(doc, standalone).values():
            group_ref = rule["Properties"]["GroupId"].get("Ref")
            rules.append((entry["name"], group_ref, rule["Properties"], params))
    return rules


def test_r_sg_6_at_most_five_groups_in_us_east_1_and_two_in_us_west_2() -> None:
    """R-SG-6: ≤ 5 groups in us-east-1 and ≤ 2 in us-west-2 (the VPC default groups exist anyway)."""
    groups = groups_by_region()
    assert sorted(groups["us-east-1"]) == ["lks-sg-db", "lks-sg-efs", "lks-sg-lb", "lks-sg-llm", "lks-sg-nat"]
    assert sorted(groups["us-west-2"]) == ["lks-sg-lb", "lks-sg-llm"]


def test_r_sg_6_no_group_is_unused() -> None:
    """R-SG-6: every group's id is an output some later stack consumes, and that stack attaches it to a resource."""
    consumers = {
        ("lks-security-zone-a", "NatSecurityGroupId"): "lks-nat-zone-a",
        ("lks-security-zone-a", "LoadBalancerSecurityGroupId"): "lks-fleet-zone-a",
        ("lks-security-zone-a", "WorkerSecurityGroupId"): "lks-fleet-zone-a",
        ("lks-security-zone-a", "EfsSecurityGroupId"): "lks-storage",
        ("lks-security-zone-a", "DatabaseSecurityGroupId"): "lks-database",
        ("lks-security-zone-b", "NatSecurityGroupId"): "lks-nat-zone-b",
        ("lks-security-zone-b", "LoadBalancerSecurityGroupId"): "lks-fleet-zone-b",
        ("lks-security-zone-b", "WorkerSecurityGroupId"): "lks-fleet-zone-b",
    }
    for (producer, output), consumer in consumers.items():
        entry = stack(consumer)
        params = [k for k, v in entry["parameters"].items() if v == {"stack": producer, "output": output}]
        assert params, (producer, output, consumer)
        doc = stack_template(entry)
        used = [k for k, r in resources(doc).items() if f'"Ref": "{params[0]}"' in str(r).replace("'", '"')]
        assert used, (consumer, params[0])
    assert set(stack("lks-api")["parameters"]["DatabaseSecurityGroupId"].values()) == {"lks-security-zone-a", "DatabaseSecurityGroupId"}


def test_r_sg_7_no_ingress_from_anywhere() -> None:
    """R-SG-7: no ingress rule anywhere admits 0.0.0.0/0 or ::/0."""
    for stack_name, group, rule, params in all_rules("ingress"):
        assert resolve(rule.get("CidrIp"), params) not in ANYWHERE, (stack_name, group, rule)
        assert resolve(rule.get("CidrIpv6"), params) not in ANYWHERE, (stack_name, group, rule)


def test_r_sg_7_egress_to_anywhere_only_http_https_for_nat_and_workers() -> None:
    """R-SG-7 (documented exception): only the NAT and the workers reach the internet, only on 80/443, through the NAT."""
    for stack_name, group, rule, params in all_rules("egress"):
        if resolve(rule.get("CidrIp"), params) in ANYWHERE:
            assert group in {"NatSecurityGroup", "WorkerSecurityGroup"}, (stack_name, group)
            assert rule["IpProtocol"] == "tcp" and rule["FromPort"] == rule["ToPort"] and rule["FromPort"] in (80, 443)


def test_every_rule_is_described() -> None:
    """R-OPS-3: every security-group rule carries a description."""
    for direction in ("ingress", "egress"):
        for stack_name, group, rule, _ in all_rules(direction):
            assert len(rule.get("Description", "")) > 10, (stack_name, group, rule)


def ingress_of(stack_name: str, logical: str) -> list[dict[str, Any]]:
    return [r for s, g, r, _ in all_rules("ingress") if s == stack_name and g == logical]


def test_r_sg_2_workers_accept_only_11434_only_from_the_load_balancer() -> None:
    """R-SG-2: lks-sg-llm: one ingress rule, tcp 11434, source lks-sg-lb."""
    for zone in ("zone-a", "zone-b"):
        (rule,) = ingress_of(f"lks-security-{zone}", "WorkerSecurityGroup")
        assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 11434, 11434)
        assert rule["SourceSecurityGroupId"] == {"Ref": "LoadBalancerSecurityGroup"}


def test_r_sg_3_load_balancer_accepts_only_port_80() -> None:
    """R-SG-3: lks-sg-lb: only tcp 80, only from private ranges (its NLB nodes, Lambdas, the peer's gateway NLB)."""
    for zone in ("zone-a", "zone-b"):
        rules = ingress_of(f"lks-security-{zone}", "LoadBalancerSecurityGroup")
        assert rules
        for rule in rules:
            assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 80, 80)
            assert rule["CidrIp"]["Ref"].endswith("PrivateSubnetACidr") or rule["CidrIp"]["Ref"].endswith("PrivateSubnetBCidr")


def test_r_sg_1_database_only_from_the_lambdas() -> None:
    """R-SG-1: lks-sg-db admits 5432 only from itself, and only the database and the three Lambdas join it
    (conversations, tutor and the database owner of issue 19)."""
    (rule,) = ingress_of("lks-security-zone-a", "DatabaseSecurityGroup")
    assert (rule["IpProtocol"], rule["FromPort"], rule["SourceSecurityGroupId"]) == ("tcp", 5432, {"Ref": "DatabaseSecurityGroup"})
    members = []
    for entry in stacks():
        if "DatabaseSecurityGroupId" in entry["parameters"]:
            for logical, res in resources(stack_template(entry)).items():
                if "'Ref': 'DatabaseSecurityGroupId'" in str(res.get("Properties", {})):
                    members.append((entry["name"], res["Type"]))
    assert sorted(members) == sorted([
        ("lks-database", "AWS::RDS::DBInstance"),
        ("lks-api", "AWS::Lambda::Function"),
        ("lks-api", "AWS::Lambda::Function"),
        ("lks-api", "AWS::Lambda::Function"),
    ])


def test_r_sg_4_nat_forwards_only_web_traffic_from_the_private_subnets() -> None:
    """R-SG-4: the NAT role (lks-sg-nat; the default group in us-west-2) has no all-traffic rule from the internet."""
    nat_rules = ingress_of("lks-security-zone-a", "NatSecurityGroup") + ingress_of("lks-security-zone-b", "DefaultSecurityGroupId")
    assert len(nat_rules) == 8
    for rule in nat_rules:
        assert rule["IpProtocol"] == "tcp" and rule["FromPort"] in (80, 443)
        assert rule["CidrIp"]["Ref"] in ("PrivateSubnetACidr", "PrivateSubnetBCidr")


def test_r_sg_4_only_the_nat_uses_the_us_west_2_default_group() -> None:
    """docs/adr/0004: in us-west-2 the default group is the NAT's; nothing else is given it."""
    users = []
    for entry in stacks():
        for key, source in entry["parameters"].items():
            if source in ({"stack": "lks-network-zone-b", "output": "DefaultSecurityGroupId"}, {"stack": "lks-security-zone-b", "output": "NatSecurityGroupId"}):
                users.append((entry["name"], key))
    assert sorted(users) == [("lks-nat-zone-b", "NatSecurityGroupId"), ("lks-security-zone-b", "DefaultSecurityGroupId")]


def test_r_sg_5_efs_admits_only_nfs_from_workers_or_peer_private_subnets() -> None:
    """R-SG-5: lks-sg-efs: only tcp 2049, from lks-sg-llm (us-east-1) or lks-zone-b's private subnets."""
    rules = ingress_of("lks-security-zone-a", "EfsSecurityGroup")
    assert len(rules) == 3
    sources = set()
    for rule in rules:
        assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 2049, 2049)
        sources.add(str(rule.get("SourceSecurityGroupId") or rule.get("CidrIp")))
    assert sources == {str({"Ref": "WorkerSecurityGroup"}), str({"Ref": "PeerPrivateSubnetACidr"}), str({"Ref": "PeerPrivateSubnetBCidr"})}
