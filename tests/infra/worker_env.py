"""The worker's environment exactly as the playbook writes it, and the built `cakap` run with it.

`worker.env.j2` is rendered with the playbook's own variables (`vars/worker.yml`, with the values
the association passes), so a test sees the file a real worker gets, not a copy of it."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import jinja2
import jinja2.nativetypes
import yaml

from cfn_model import ANSIBLE, ROOT

CAKAP = os.environ.get("CAKAP_BIN") or str(ROOT / ".build" / "debug" / "cakap")

# What the State Manager association passes (common/fleet.yaml) and the facts the playbook sets.
PASSED = {
    "efs_ip": "172.32.1.10",
    "efs_ip_b": "172.32.1.138",
    "cakap_availability_zone": "us-east-1a",
    "cakap_zone": "lks-zone-a",
    "cakap_region": "us-east-1",
    "cakap_instance_name": "lks-worker-chat-a-zone-a",
    "cakap_pool": "chat",
    "ansible_managed": "Ansible managed",
}


def ansible_like(environment: jinja2.Environment) -> jinja2.Environment:
    """The Ansible filters the playbook's variables and templates use."""
    environment.filters["regex_replace"] = lambda value, pattern, replacement="": re.sub(pattern, replacement, value)
    return environment


def playbook_variables(overrides: dict[str, object] | None = None) -> dict[str, object]:
    """vars/worker.yml with the association's values, every `{{ … }}` resolved like Ansible does."""
    raw = yaml.safe_load((ANSIBLE / "vars" / "worker.yml").read_text()) | PASSED | (overrides or {})
    # Native types, as Ansible evaluates variables: a list stays a list, a number a number.
    environment = ansible_like(jinja2.nativetypes.NativeEnvironment(undefined=jinja2.StrictUndefined))
    resolved: dict[str, object] = {}
    for _ in range(10):
        for name, value in raw.items():
            if not isinstance(value, str) or "{{" not in value:
                resolved[name] = value
                continue
            try:
                resolved[name] = environment.from_string(value).render(playbook_dir="/playbook", **resolved)
            except jinja2.UndefinedError:
                pass  # needs a later variable, or a registered fact (bundle digest): not used by templates here
    return resolved


def render(template_name: str, overrides: dict[str, object] | None = None) -> str:
    """A playbook template rendered with `playbook_variables`."""
    source = (ANSIBLE / "templates" / template_name).read_text()
    environment = ansible_like(jinja2.Environment(undefined=jinja2.StrictUndefined))
    return environment.from_string(source).render(**playbook_variables(overrides))


def worker_environment(overrides: dict[str, object] | None = None) -> dict[str, str]:
    """/etc/cakap/worker.env as systemd reads it (KEY=VALUE lines; comments skipped)."""
    pairs = {}
    for line in render("worker.env.j2", overrides).splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def cakap(*arguments: str, environment: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The built `cakap` with only `environment` (plus PATH), as systemd starts it."""
    return subprocess.run(
        [CAKAP, *arguments], env={"PATH": "/usr/bin:/bin", **environment},
        capture_output=True, text=True, timeout=timeout, check=False,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RunningWorker:
    """`cakap worker` started with the unit's arguments and a rendered environment, on loopback."""

    def __init__(self, environment: dict[str, str], models: str, log: Path) -> None:
        self.port = free_port()
        self.log = log.open("w")
        self.process = subprocess.Popen(
            [CAKAP, "worker", "--host", "127.0.0.1", "--port", str(self.port), "--models", models],
            env={"PATH": "/usr/bin:/bin", **environment}, stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"cakap worker exited {self.process.returncode}: {log.read_text()}")
            try:
                self.get("/health/live")
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("cakap worker did not listen within 30 s")

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read().decode()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
