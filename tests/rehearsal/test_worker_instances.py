"""The worker bundle as `cakap aws deploy` ships it, installed by the real worker.yml into two
Debian roots standing for instances, started with the unit's ExecStart and the environment the
playbook wrote (R-LLM-3, R-LLM-4, R-EFS-2; issue 20, blocker 1: a worker that cannot find its
engine is never ready)."""

from __future__ import annotations

import re

import pytest
import requests

from conftest import CHAT_MODEL, MODELS, chat
from instance import Instance


def test_the_playbook_configures_both_instances(instances: list[Instance]) -> None:
    for instance in instances:
        result = instance.playbook  # type: ignore[attr-defined]
        tail = (result.stdout + result.stderr)[-4000:]
        assert result.returncode == 0, f"{instance.name}: worker.yml failed\n{tail}\nworker log:\n{instance.worker_log()}"
        assert re.search(r"failed=0\b", result.stdout), tail
        # /opt/cakap/current is an absolute link inside the root: resolve it there.
        release = (instance.root / "opt/cakap/current").readlink()
        assert (instance.root / release.relative_to("/") / "bin/cakap").is_file(), release
        assert "ExecStart=/opt/cakap/current/bin/cakap worker" in (instance.root / "etc/systemd/system/cakap-worker.service").read_text()


def test_each_worker_is_ready_behind_its_private_address(instances: list[Instance]) -> None:
    """The balancer's health check (/health/ready) answers 200 on both: the engine was found."""
    for instance in instances:
        response = requests.get(f"{instance.url}/health/ready", timeout=10)
        assert response.status_code == 200, f"{instance.name}: {response.status_code} {response.text}\n{instance.worker_log()}"


def test_both_instances_serve_the_model_from_the_one_shared_store(instances: list[Instance]) -> None:
    """Each lists the model on the shared store (R-EFS-2) and answers a chat with real words."""
    for instance in instances:
        names = [model["name"] for model in requests.get(f"{instance.url}/api/tags", timeout=10).json()["models"]]
        assert CHAT_MODEL in names, f"{instance.name}: {names}"
        response = chat(instance.url, "Say hello to a new English learner in one short sentence.")
        assert response.status_code == 200, f"{instance.name}: {response.text}\n{instance.worker_log()}"
        content = response.json()["message"]["content"]
        assert re.search(r"[A-Za-z]{2,}", content), f"{instance.name} answered {content!r}"


def test_the_second_instance_pulled_nothing(instances: list[Instance], efs) -> None:
    """Only the designated puller may pull; the other one found the models on EFS (R-LLM-4)."""
    manifests = sorted(path.relative_to(efs) for path in (efs / "models/manifests").rglob("*") if path.is_file())
    assert len(manifests) == len(MODELS), manifests
    assert (instances[1].root / "share/models").is_dir()


@pytest.mark.parametrize("index", [0, 1])
def test_the_cloudwatch_agent_was_configured(instances: list[Instance], index: int) -> None:
    calls = instances[index].root / "opt/aws/amazon-cloudwatch-agent/ctl-calls"
    assert calls.exists() and "-m ec2" in calls.read_text()
