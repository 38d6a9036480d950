"""`cakap aws deploy`, `destroy` and `smoke` end to end against moto's server: the real `aws` CLI
(awscli 1.36) talks to a moto server on loopback, so the commands, their order, the outputs
passed between stacks and regions, the artefact uploads and the teardown proof all run for real
on the stacks moto can model (test_moto.py lists what it cannot)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import boto3
import pytest
from test_moto import ACCOUNT, MODELLED, UBUNTU, ZONES

from cfn_model import ROOT

CAKAP = os.environ.get("CAKAP_BIN") or str(ROOT / ".build" / "debug" / "cakap")


@pytest.fixture(scope="module")
def moto_endpoint():
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1",
                      CAKAP_ALARM_EMAIL="ops@example.com")  # fmt: skip
    os.environ.pop("AWS_SESSION_TOKEN", None)
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        seed(endpoint)
    yield endpoint
    server.stop()


def seed(endpoint: str) -> None:
    """LabRole, LabInstanceProfile and Canonical's public AMI parameter, as a Learner Lab account has."""
    iam = boto3.client("iam", endpoint_url=endpoint)
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": ["ec2.amazonaws.com"]}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="LabRole", AssumeRolePolicyDocument=json.dumps(trust))
    iam.create_instance_profile(InstanceProfileName="LabInstanceProfile")
    iam.add_role_to_instance_profile(InstanceProfileName="LabInstanceProfile", RoleName="LabRole")
    from moto.core.utils import utcnow
    from moto.ssm.models import Parameter, ssm_backends

    for name in ZONES:
        image = boto3.client("ec2", region_name=name, endpoint_url=endpoint).describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
        ssm_backends[ACCOUNT][name]._parameters[UBUNTU].append(Parameter(
            account_id=ACCOUNT, name=UBUNTU, value=image, parameter_type="String", description=None,
            allowed_pattern=None, keyid=None, last_modified_date=utcnow(), version=1, data_type="aws:ec2:image",
        ))  # fmt: skip


def cakap_aws(*arguments: str, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}  # the venv's aws
    return subprocess.run([CAKAP, "aws", *arguments], capture_output=True, text=True, env=env, timeout=timeout)


@pytest.fixture(scope="module")
def artefacts(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("artefacts")
    with zipfile.ZipFile(folder / "playbook.zip", "w") as archive:
        archive.writestr("worker.yml", "# stand-in playbook for the moto test\n")
    return folder


def test_deploy_refuses_to_start_without_a_needed_artefact(moto_endpoint, tmp_path) -> None:
    result = cakap_aws("deploy", "--endpoint-url", moto_endpoint, "--skip-build", "--artefacts", str(tmp_path),
                       "--only", "lks-artefacts-zone-a,lks-fleet-zone-a")  # fmt: skip
    assert result.returncode != 0
    assert "artefact playbook is needed but was not built" in result.stderr + result.stdout
    assert not boto3.client("cloudformation", endpoint_url=moto_endpoint).list_stacks()["StackSummaries"]


def test_an_unknown_stack_name_is_refused(moto_endpoint) -> None:
    result = cakap_aws("destroy", "--endpoint-url", moto_endpoint, "--only", "lks-nonsense")
    assert result.returncode != 0 and "not in the plan: lks-nonsense" in result.stderr + result.stdout


def test_deploy_then_destroy_the_modelled_stacks(moto_endpoint, artefacts) -> None:
    only = ",".join(MODELLED)
    deployed = cakap_aws("deploy", "--endpoint-url", moto_endpoint, "--skip-build", "--artefacts", str(artefacts), "--only", only)
    assert deployed.returncode == 0, deployed.stdout[-3000:] + deployed.stderr[-3000:]
    assert f"[{len(MODELLED)}/{len(MODELLED)}] lks-fleet-zone-b (us-west-2)" in deployed.stdout
    for region, zone in ZONES.items():
        cloudformation = boto3.client("cloudformation", region_name=region, endpoint_url=moto_endpoint)
        names = {s["StackName"] for s in cloudformation.describe_stacks()["Stacks"]}
        assert names == {name for name in MODELLED if name.endswith(zone) or (zone == "zone-a" and name == "lks-storage")}
        for stack in cloudformation.describe_stacks()["Stacks"]:
            assert {"Key": "Project", "Value": "cakap"} in stack["Tags"]
        # The playbook was uploaded to the region's bucket right after the bucket existed.
        bucket = next(o["OutputValue"] for o in cloudformation.describe_stacks(StackName=f"lks-artefacts-{zone}")["Stacks"][0]["Outputs"] if o["OutputKey"] == "ArtefactBucketName")
        keys = [o["Key"] for o in boto3.client("s3", region_name=region, endpoint_url=moto_endpoint).list_objects_v2(Bucket=bucket).get("Contents", [])]
        # … under a key naming its content (issue 20: a fixed key never updated the code on redeploy).
        assert len(keys) == 1 and re.fullmatch(r"ansible/cakap-worker-playbook-[0-9a-f]{16}\.zip", keys[0]), keys
        playbook_key = next(p["ParameterValue"] for p in cloudformation.describe_stacks(StackName=f"lks-fleet-{zone}")["Stacks"][0]["Parameters"] if p["ParameterKey"] == "PlaybookKey")
        assert playbook_key == keys[0]
        instances = boto3.client("ec2", region_name=region, endpoint_url=moto_endpoint).describe_instances(
            Filters=[{"Name": "instance-state-name", "Values": ["running", "pending"]}])["Reservations"]
        assert sum(len(r["Instances"]) for r in instances) == 7  # six workers and the NAT instance
    # The fleet stack read the EFS address from lks-storage (us-east-1) across regions.
    fleet_b = boto3.client("cloudformation", region_name="us-west-2", endpoint_url=moto_endpoint).describe_stacks(StackName="lks-fleet-zone-b")["Stacks"][0]
    assert {"ParameterKey": "EfsIp", "ParameterValue": "172.32.1.10"} in [
        {"ParameterKey": p["ParameterKey"], "ParameterValue": p["ParameterValue"]} for p in fleet_b["Parameters"]]

    again = cakap_aws("deploy", "--endpoint-url", moto_endpoint, "--skip-build", "--artefacts", str(artefacts), "--only", only)
    assert again.returncode == 0, again.stderr[-3000:]  # a second deploy with no change succeeds

    # moto cannot delete a VPC whose subnet-to-route-table associations it never removes (see
    # test_moto.py), so the network stacks stay; destroy must delete the rest in reverse order
    # and then report exactly what is left.
    destroyed = cakap_aws("destroy", "--endpoint-url", moto_endpoint, "--only", ",".join(n for n in MODELLED if "network" not in n))
    order = [line.split()[1] for line in destroyed.stdout.splitlines() if line.startswith("deleting ")]
    assert order == [n for n in reversed(MODELLED) if "network" not in n], destroyed.stdout + destroyed.stderr
    assert destroyed.returncode == 1
    left = [line.strip() for line in destroyed.stdout.split("left behind:", 1)[1].splitlines() if line.strip()]
    assert sorted(line for line in left if ": stack " in line) == [
        "us-east-1: stack lks-network-zone-a", "us-west-2: stack lks-network-zone-b"]
    assert not [line for line in left if ":instance/" in line]  # terminated instances are not left-overs
    assert all("vpc" in line or "subnet" in line or "route-table" in line or "internet-gateway" in line
               or "lks-network" in line for line in left), left
    for region in ZONES:
        remaining = boto3.client("ec2", region_name=region, endpoint_url=moto_endpoint).describe_instances(
            Filters=[{"Name": "instance-state-name", "Values": ["running", "pending"]}])["Reservations"]
        assert not remaining
        buckets = boto3.client("s3", region_name=region, endpoint_url=moto_endpoint).list_buckets()["Buckets"]
        assert not [b for b in buckets if b["Name"].startswith("lks-")]


def test_cost_prints_the_estimate_with_its_price_source() -> None:
    result = cakap_aws("cost", "--json")
    assert result.returncode == 0, result.stderr
    estimate = json.loads(result.stdout)
    assert estimate["recorded"] and "Pricing Calculator" in estimate["source"]
    assert estimate["monthlyTotal"] == pytest.approx(sum(line["monthly"] for line in estimate["lines"]), abs=0.05)
    assert set(estimate["regions"]) == {"us-east-1", "us-west-2"}
