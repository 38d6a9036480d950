"""Fixtures for the fault tests: real `cakap` processes (worker, balancer, edge), some of them in
network namespaces of their own, and the helpers to start, poll and stop them.

Prerequisites (the README's test command provides them; missing ones FAIL, never skip): root (for
`ip netns`, `tc`, `mount`), the binary at $CAKAP_BIN and `cakap setup` done. Tests never write to
the setup store; they only read it (workers list and load its models).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

REPO_ROOT = Path(__file__).resolve().parents[2]


# The shared helpers of the fleet tier (the integration helpers' loader, /proc, polling).
from cakap_testing.fleet_os import wait_until, worker_helpers  # noqa: E402

cakap_bin = worker_helpers.cakap_bin
cakap_home = worker_helpers.cakap_home
descendants = worker_helpers.descendants
free_port = worker_helpers.free_port
free_ports = worker_helpers.free_ports
RegistryServer = worker_helpers.RegistryServer
CHAT_MODEL = worker_helpers.CHAT_MODEL
UNREACHABLE_REGISTRY = worker_helpers.UNREACHABLE_REGISTRY

PASSWORD = "Cakap-Fault-7!"
CLIENT_ID = "cakapdevelopmentclient0001"


def http_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # never through a proxy: loopback and test addresses only
    return session


class Process:
    """One `cakap` process (optionally inside a namespace), logging to a file; `stop()` SIGTERMs
    it, SIGKILLs it after a bound and kills any child (llama-server) it leaves."""

    def __init__(self, name: str, arguments: list[str], directory: Path, env: dict[str, str] | None = None,
                 prefix: list[str] | None = None) -> None:  # fmt: skip
        self.name = name
        self.command = [*(prefix or []), str(cakap_bin()), *arguments]
        self.log_path = directory / f"{name}.log"
        self.env = {**os.environ, "CAKAP_REGISTRY": UNREACHABLE_REGISTRY, "CAKAP_LOG_DIR": str(directory / "engines")}
        self.env.update(env or {})
        self.process: subprocess.Popen | None = None
        self.http = http_session()

    def start(self) -> Process:
        with self.log_path.open("ab") as log:
            log.write(f"$ {' '.join(self.command)}\n".encode())
            log.flush()
            self.process = subprocess.Popen(self.command, stdout=log, stderr=subprocess.STDOUT, env=self.env)
        return self

    def wait_http(self, url: str, timeout: float = 60.0, accept: Callable[[requests.Response], bool] | None = None) -> None:
        """Polls `url` until it answers (200 unless `accept` says otherwise); fails with the log."""
        accept = accept or (lambda response: response.status_code == 200)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"{self.name} exited with {self.process.returncode}\n{self.log_tail()}", pytrace=False)
            try:
                if accept(self.http.get(url, timeout=2)):
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        pytest.fail(f"{self.name} not answering {url} after {timeout:.0f} s\n{self.log_tail()}", pytrace=False)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 40) -> str:
        return f"--- {self.log_path} ---\n" + "\n".join(self.log_text().splitlines()[-lines:])

    def kill(self) -> None:
        """SIGKILL, as a machine or zone that dies; its engines die with it (parent-death signal),
        and any that do not are killed too."""
        children = descendants(self.process.pid)
        self.process.kill()
        self.process.wait(timeout=10)
        wait_until(lambda: not any(worker_helpers._proc_stat(pid) for pid, _ in children), timeout=3)
        worker_helpers.kill_leftovers(children)

    def stop(self, timeout: float = 15.0) -> None:
        if self.process is None:
            return
        worker_helpers.stop_process(self.process, timeout)
        self.http.close()


class Processes:
    """Every process a fixture started, stopped in reverse order at its end."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.started: list[Process] = []

    def start(self, name: str, arguments: list[str], **options: Any) -> Process:
        process = Process(name, arguments, self.directory, **options).start()
        self.started.append(process)
        return process

    def stop_all(self) -> None:
        for process in reversed(self.started):
            process.stop()

    def logs(self) -> str:
        return "\n".join(process.log_tail() for process in self.started)


@pytest.fixture(scope="session")
def setup_store() -> Path:
    path = cakap_bin()
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"cakap binary not found at {path} (set CAKAP_BIN or build it)", pytrace=False)
    if os.geteuid() != 0:
        pytest.fail("the fault tests need root (ip netns, tc, mount)", pytrace=False)
    store = cakap_home() / "models"
    if not worker_helpers.manifest_path(store, CHAT_MODEL).is_file():
        pytest.fail(f"setup store {store} lacks {CHAT_MODEL}: run `cakap setup` first", pytrace=False)
    return store


def sign_in(edge: str, data_directory: Path, label: str) -> str:
    """Signs a new user up at the edge's development identity provider (Cognito JSON protocol),
    confirms it as an operator would (`cakap users confirm`), signs in: its ID token."""
    http = http_session()
    email = f"{label}-{uuid.uuid4().hex[:8]}@example.com"

    def call(action: str, body: dict[str, Any]) -> dict[str, Any]:
        headers = {
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"AWSCognitoIdentityProviderService.{action}",
        }
        response = http.post(edge + "/idp/", data=json.dumps(body), headers=headers, timeout=30)
        assert response.status_code == 200, f"{action}: {response.status_code} {response.text}"
        return response.json()

    attributes = [{"Name": "email", "Value": email}, {"Name": "name", "Value": label.title()}]
    call("SignUp", {"ClientId": CLIENT_ID, "Username": email, "Password": PASSWORD, "UserAttributes": attributes})
    subprocess.run(
        [str(cakap_bin()), "users", "confirm", email, "--data", str(data_directory)],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    result = call(
        "InitiateAuth",
        {"ClientId": CLIENT_ID, "AuthFlow": "USER_PASSWORD_AUTH",
         "AuthParameters": {"USERNAME": email, "PASSWORD": PASSWORD}},
    )  # fmt: skip
    return result["AuthenticationResult"]["IdToken"]


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    started = Processes(tmp_path)
    try:
        yield started
    finally:
        started.stop_all()
