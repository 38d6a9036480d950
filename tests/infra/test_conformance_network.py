"""Network requirements, one test per rule (R-NET-*, R-EFS-*), read from the templates and stacks.json."""

from __future__ import annotations

import ipaddress

from cfn_model import UNKNOWN, region, resolve, resources, stack, stack_parameters, stack_template, stacks, subnet_cidr, tags, template, template_paths

REGIONS = {"zone-a": "us-east-1", "zone-b": "us-west-2"}


def test_r_net_1_each_zone_is_one_vpc_with_its_exact_cidr_and_region() -> None:
    """R-NET-1: lks-zone-a = 172.32.0.0/23 in us-east-1, lks-zone-b = 10.10.0.0/23 in us-west-2."""
    assert {r["zone"]: (r["name"], r["vpcCidr"]) for r in [region("us-east-1"), region("us-west-2")]} == {
        "lks-zone-a": ("us-east-1", "172.32.0.0/23"),
        "lks-zone-b": ("us-west-2", "10.10.0.0/23"),
    }
    for zone, region_name in REGIONS.items():
        entry = stack(f"lks-network-{zone}")
        assert entry["region"] == region_name
        params = stack_parameters(entry)
        assert params["Zone"] == zone and params["VpcCidr"] == region(region_name)["vpcCidr"]
    vpcs = [r for p in template_paths() for r in resources(template(p), "AWS::EC2::VPC").values()]
    assert len(vpcs) == 1, "one network template, deployed once per region"


def test_r_net_3_three_subnets_public_first_24_private_next_two_25() -> None:
    """R-NET-3: public = first network (/24, up to 200 hosts) in AZ a; private = second and third (/25) in a and b."""
    for zone, region_name in REGIONS.items():
        vpc = ipaddress.ip_network(region(region_name)["vpcCidr"])
        first24 = list(vpc.subnets(new_prefix=24))[0]
        second_half = list(vpc.subnets(new_prefix=24))[1]
        a25, b25 = list(second_half.subnets(new_prefix=25))
        assert first24.num_addresses - 5 >= 200
        expected = {"public": (str(first24), "a"), "private-a": (str(a25), "a"), "private-b": (str(b25), "b")}
        params = stack_parameters(stack(f"lks-network-{zone}"))
        doc = stack_template(stack(f"lks-network-{zone}"))
        subnets = resources(doc, "AWS::EC2::Subnet")
        assert len(subnets) == 3
        seen = {}
        for subnet in subnets.values():
            props = subnet["Properties"]
            name = resolve(tags(subnet)["Name"], params)
            kind = name.removeprefix("lks-subnet-").removesuffix(f"-{zone}")
            seen[kind] = (resolve(props["CidrBlock"], params), resolve(props["AvailabilityZone"], params).removeprefix(region_name))
            assert props["MapPublicIpOnLaunch"] is False
        assert seen == expected, zone
        assert {s["cidr"] for s in region(region_name)["subnets"]} == {v[0] for v in expected.values()}


def test_r_net_4_exactly_two_route_tables_named_public_and_private_and_every_subnet_associated() -> None:
    """R-NET-4: exactly lks-rtb-public and lks-rtb-private per VPC (the implicit main table is not ours), every subnet on one."""
    all_tables = [(p, k) for p in template_paths() for k in resources(template(p), "AWS::EC2::RouteTable")]
    assert [p for p, _ in all_tables] == ["common/network.yaml"] * 2
    doc = template("common/network.yaml")
    names = sorted(tags(t)["Name"] for t in resources(doc, "AWS::EC2::RouteTable").values())
    assert names == ["lks-rtb-private", "lks-rtb-public"]
    associations = resources(doc, "AWS::EC2::SubnetRouteTableAssociation").values()
    associated = {a["Properties"]["SubnetId"]["Ref"]: a["Properties"]["RouteTableId"]["Ref"] for a in associations}
    assert associated == {"PublicSubnet": "PublicRouteTable", "PrivateSubnetA": "PrivateRouteTable", "PrivateSubnetB": "PrivateRouteTable"}


def test_r_net_5_nat_instance_not_gateway_ubuntu_t2_micro_forwarding_persisted() -> None:
    """R-NET-5: Ubuntu t2.micro NAT instance, source/dest check off, forwarding + MASQUERADE persisted, FORWARD flushed."""
    for path in template_paths():
        assert not resources(template(path), "AWS::EC2::NatGateway"), path
    doc = template("common/nat.yaml")
    (instance,) = resources(doc, "AWS::EC2::Instance").values()
    props = instance["Properties"]
    params = doc["Parameters"]
    assert params["NatInstanceType"]["AllowedValues"] == ["t2.micro"] and props["InstanceType"] == {"Ref": "NatInstanceType"}
    assert props["SourceDestCheck"] is False
    assert params["NatImageId"]["Type"] == "AWS::EC2::Image::Id"
    for zone in ("zone-a", "zone-b"):
        assert "canonical/ubuntu/server" in stack(f"lks-nat-{zone}")["parameters"]["NatImageId"]["ssmParameter"]
    assert "KeyName" not in props
    script = props["UserData"]["Fn::Base64"]["Fn::Sub"]
    for needle in ("net.ipv4.ip_forward = 1", "/etc/sysctl.d/", "iptables -F FORWARD", "-j MASQUERADE",
                   "iptables-persistent", "netfilter-persistent save", "ip route show default"):
        assert needle in script, needle
    (route,) = resources(doc, "AWS::EC2::Route").values()
    assert route["Properties"]["DestinationCidrBlock"] == "0.0.0.0/0"
    assert route["Properties"]["InstanceId"] == {"Ref": "NatInstance"}
    assert route["Properties"]["RouteTableId"] == {"Ref": "PrivateRouteTableId"}
    for zone in REGIONS:
        assert stack(f"lks-nat-{zone}")["parameters"]["PrivateRouteTableId"] == {"stack": f"lks-network-{zone}", "output": "PrivateRouteTableId"}


def test_r_net_2_inter_region_peering_with_routes_both_ways() -> None:
    """R-NET-2: one inter-region peering, a route to the peer in each VPC's private table."""
    peering = stack("lks-peering")
    assert peering["region"] == "us-east-1"
    doc = stack_template(peering)
    (connection,) = resources(doc, "AWS::EC2::VPCPeeringConnection").values()
    params = stack_parameters(peering)
    assert resolve(connection["Properties"]["PeerRegion"], params) == "us-west-2"
    assert peering["parameters"]["PeerVpcId"] == {"stack": "lks-network-zone-b", "output": "VpcId"}
    assert params["PeerVpcCidr"] == region("us-west-2")["vpcCidr"]
    back = stack("lks-peering-routes-zone-b")
    assert back["region"] == "us-west-2"
    assert stack_parameters(back)["PeerVpcCidr"] == region("us-east-1")["vpcCidr"]
    assert back["parameters"]["PeeringConnectionId"] == {"stack": "lks-peering", "output": "PeeringConnectionId"}
    for entry in (peering, back):
        (route,) = resources(stack_template(entry), "AWS::EC2::Route").values()
        assert route["Properties"]["DestinationCidrBlock"] == {"Ref": "PeerVpcCidr"}
        assert "VpcPeeringConnectionId" in route["Properties"]


def test_r_efs_1_one_file_system_in_us_east_1_bursting_with_backups() -> None:
    """R-EFS-1: exactly one EFS, in us-east-1 only, bursting throughput, automatic backups (and encrypted)."""
    holders = [s for s in stacks() if resources(stack_template(s), "AWS::EFS::FileSystem")]
    assert [s["name"] for s in holders] == ["lks-storage"] and holders[0]["region"] == "us-east-1"
    (fs,) = resources(stack_template(holders[0]), "AWS::EFS::FileSystem").values()
    props = fs["Properties"]
    assert props["ThroughputMode"] == "bursting"
    assert props["BackupPolicy"] == {"Status": "ENABLED"}
    assert props["Encrypted"] is True


def test_r_efs_2_mount_targets_at_fixed_ips_inside_the_private_subnets_used_by_both_fleets() -> None:
    """R-EFS-2: mount targets at the fixed IPs of topology.json, in both private subnets; both fleets mount by that IP."""
    entry = stack("lks-storage")
    params = stack_parameters(entry)
    targets = resources(stack_template(entry), "AWS::EFS::MountTarget")
    assert len(targets) == 2
    fixed = region("us-east-1")["efsMountTargets"]
    for az in ("a", "b"):
        ip = params[f"MountTargetIp{az.upper()}"]
        assert ip == fixed[az]
        assert ipaddress.ip_address(ip) in ipaddress.ip_network(subnet_cidr("us-east-1", "private", az))
    ips = sorted(resolve(t["Properties"]["IpAddress"], params) for t in targets.values())
    assert ips == sorted(fixed.values())
    for zone in REGIONS:
        assert stack(f"lks-fleet-{zone}")["parameters"]["EfsIp"] == {"stack": "lks-storage", "output": "MountTargetIpA"}


def test_stacks_wire_every_cidr_from_topology() -> None:
    """Every literal CIDR or fixed IP in stacks.json equals config/topology.json (one source of truth)."""
    literal = {}
    for entry in stacks():
        for key, source in entry["parameters"].items():
            if "value" in source and ("Cidr" in key or "Ip" in key):
                literal[(entry["name"], key)] = source["value"]
    known = {s["cidr"] for r in ("us-east-1", "us-west-2") for s in region(r)["subnets"]}
    known |= {region(r)["vpcCidr"] for r in ("us-east-1", "us-west-2")}
    known |= set(region("us-east-1")["efsMountTargets"].values()) | set(region("us-west-2")["gatewayNlbAddresses"].values())
    known |= set(region("us-west-2")["reservedCidrs"].values())
    assert literal and set(literal.values()) <= known, literal
    assert UNKNOWN not in literal.values()
