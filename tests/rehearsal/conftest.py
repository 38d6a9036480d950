"""Fixtures of the rehearsal tier: the shipped artefacts, the shared model store standing for EFS,
and two worker instances configured by the real playbook (docs/deploy.md, "Rehearsal")."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import yaml

import artefacts
from instance import Instance

REPO = artefacts.REPO
CAKAP_HOME = artefacts.CAKAP_HOME
# The model the rehearsal serves: the smallest chat model `cakap setup` puts in the store (the
# fleet's own list is passed as the association passes it, with this one in place of the big ones).
CHAT_MODEL = os.environ.get("CAKAP_REHEARSAL_MODEL", "smollm2:135m")
EFS_IP = "10.0.2.200"
# Instances as infra/cloudformation/common/fleet.yaml names them: the designated puller and one other.
INSTANCES = [("lks-worker-llm-a-zone-a", "llm"), ("lks-worker-chat-a-zone-a", "chat")]


def pytest_configure(config: pytest.Config) -> None:
    if os.geteuid() != 0:
        raise pytest.UsageError("the rehearsal needs root (chroot, mount, ip netns)")


@pytest.fixture(scope="session")
def built() -> Path:
    """playbook.zip and the Lambda and web zips, from scripts/build-artefacts (cached by content)."""
    started = time.monotonic()
    folder = artefacts.built_artefacts()
    print(f"artefacts ready in {time.monotonic() - started:.0f} s: {folder}")
    return folder


@pytest.fixture(scope="session")
def bundle(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The worker bundle as the playbook ships it, unpacked."""
    return artefacts.unpacked_bundle(built, tmp_path_factory.mktemp("bundle"))


def extra_variables(models: str) -> str:
    """The association's ExtraVariables from fleet.yaml, with this rehearsal's values substituted."""
    text = (REPO / "infra/cloudformation/common/fleet.yaml").read_text()
    template = yaml.load(text, Loader=_CloudFormationLoader)
    association = next(resource for resource in template["Resources"].values() if resource["Type"] == "AWS::SSM::Association")
    value = association["Properties"]["Parameters"]["ExtraVariables"][0]
    pattern = value["Fn::Sub"] if isinstance(value, dict) else value
    values = {"EfsIp": EFS_IP, "Zone": "zone-a", "AWS::Region": "us-east-1", "ModelPuller": INSTANCES[0][0], "Models": models}
    return re.sub(r"\$\{([^}]+)\}", lambda match: values[match.group(1)], pattern)


class _CloudFormationLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (!Sub, !Ref, …) read as {"Fn::Sub": …} mappings."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, object]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: object = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CloudFormationLoader.add_multi_constructor("!", _intrinsic)


def seed_store(efs: Path, model: str) -> None:
    """EFS holding `model` already, as after the puller's first run (files owned by the cakap uid)."""
    store = Path(os.environ.get("CAKAP_MODELS", CAKAP_HOME / "models"))
    name, tag = (model.split(":") + ["latest"])[:2]
    manifest = store / "manifests/registry.ollama.ai/library" / name / tag
    if not manifest.is_file():
        pytest.fail(f"{model} is not in {store}: run cakap setup", pytrace=False)
    target = efs / "models"
    (target / manifest.relative_to(store)).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(manifest, target / manifest.relative_to(store))
    layers = json.loads(manifest.read_text())
    (target / "blobs").mkdir(exist_ok=True)
    for layer in [layers["config"], *layers["layers"]]:
        blob = "sha256-" + layer["digest"].split(":", 1)[1]
        subprocess.run(["cp", "--reflink=auto", str(store / "blobs" / blob), str(target / "blobs" / blob)], check=True)
    subprocess.run(["chown", "-R", "11434:11434", str(target)], check=True)


@pytest.fixture(scope="session")
def efs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared model store both instances mount at /share, seeded with the chat model."""
    folder = tmp_path_factory.mktemp("efs")
    (folder / ".rehearsal-efs").touch()
    seed_store(folder, CHAT_MODEL)
    return folder


@pytest.fixture(scope="session")
def instances(built: Path, efs: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Instance]]:
    """Two instances configured by the real worker.yml from playbook.zip, worker running."""
    from cloudwatch_standin import AgentPackage

    created: list[Instance] = []
    with AgentPackage(tmp_path_factory.mktemp("cloudwatch")) as agent:
        try:
            for index, (name, pool) in enumerate(INSTANCES):
                instance = Instance(name, pool, index, tmp_path_factory.mktemp(name), efs, EFS_IP)
                created.append(instance)
                instance.create()
                agent.serve_on(instance.host_address)
                variables = extra_variables(CHAT_MODEL) + f" cloudwatch_agent_deb_url={agent.url(instance.host_address)}"
                log = tmp_path_factory.getbasetemp() / f"{name}-playbook.log"
                started = time.monotonic()
                result = instance.apply_playbook(built / "playbook.zip", variables, log)
                print(f"{name}: playbook exit {result.returncode} in {time.monotonic() - started:.0f} s (log {log})")
                instance.playbook = result  # type: ignore[attr-defined]
            yield created
        finally:
            for instance in created:
                instance.close()


def chat(url: str, text: str, timeout: float = 120) -> requests.Response:
    return requests.post(f"{url}/api/chat", timeout=timeout, json={
        "model": CHAT_MODEL, "stream": False, "options": {"num_predict": 24, "temperature": 0},
        "messages": [{"role": "user", "content": text}],
    })
