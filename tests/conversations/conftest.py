"""Fixtures for the conversations tests: the real stack, each part its own process on loopback.

- `cakap postgres` (PostgreSQL 16 + pgvector from the pgserver wheel) in a temporary folder;
- one `cakap worker` serving `all-minilm` from the setup store: the LLM pool's `/api/embed`;
- `cakap edge` with the development identity provider, forwarding `/conversations` (R-API-1);
- `cakap conversations` with the `DB_*` variables (R-FN-2).

Users sign up, are confirmed by the operator command and sign in with boto3's cognito-idp
client, as with a real user pool. Missing prerequisites FAIL, never skip.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
import requests
from botocore.config import Config
from cakap_testing.ports import free_ports  # noqa: F401 (tests import it from here)

REPOSITORY = Path(__file__).resolve().parents[2]
CAKAP_HOME = Path(os.environ.get("CAKAP_HOME") or Path.home() / ".cache" / "cakap")
PASSWORD = "Cakap-Test-7!"

os.environ["NO_PROXY"] = ",".join(filter(None, [os.environ.get("NO_PROXY"), "127.0.0.1", "localhost"]))
os.environ["no_proxy"] = os.environ["NO_PROXY"]


def cakap_bin() -> str:
    binary = os.environ.get("CAKAP_BIN") or str(REPOSITORY / ".build" / "debug" / "cakap")
    if not Path(binary).is_file():
        pytest.fail(f"no cakap binary at {binary}", pytrace=False)
    return binary


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]



class Process:
    """A cakap subcommand logging to a file, stopped with SIGTERM (then SIGKILL)."""

    def __init__(self, name: str, arguments: list[str], folder: Path, env: dict[str, str] | None = None) -> None:
        self.name = name
        self.log_path = folder / f"{name}.log"
        self.arguments = arguments
        self.env = {**os.environ, **(env or {})}
        self.process: subprocess.Popen | None = None

    def start(self) -> Process:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen([cakap_bin(), *self.arguments], stdout=log, stderr=subprocess.STDOUT, env=self.env)
        log.close()
        return self

    def wait_for(self, check, what: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"{self.name} exited with {self.process.returncode}\n{self.log_tail()}", pytrace=False)
            try:
                if check():
                    return
            except (requests.RequestException, OSError):
                pass
            time.sleep(0.2)
        pytest.fail(f"{self.name}: {what} not seen after {timeout:.0f} s\n{self.log_tail()}", pytrace=False)

    def wait_http(self, url: str, timeout: float = 90) -> None:
        self.wait_for(lambda: requests.get(url, timeout=2).status_code == 200, f"200 from {url}", timeout)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(5)


@dataclass
class User:
    email: str
    sub: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Stack:
    """PostgreSQL, an embedding worker, the edge and the conversations service."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.pg_port = free_port()
        self.worker_port = free_port()
        self.edge_port = free_port()
        self.service_port = free_port()
        self.edge = f"http://127.0.0.1:{self.edge_port}"
        self.service = f"http://127.0.0.1:{self.service_port}"
        self.identity_data = folder / "identity"
        self.postgres = self._postgres()
        self.worker = Process(
            "worker",
            ["worker", "--host", "127.0.0.1", "--port", str(self.worker_port), "--models", str(CAKAP_HOME / "models")],
            folder,
        )
        self.edge_process = Process(
            "edge",
            ["edge", "--port", str(self.edge_port), "--data", str(self.identity_data), "--conversations", self.service],
            folder,
        )
        self.services: list[Process] = []

    def _postgres(self) -> Process:
        return Process("postgres", ["postgres", "--data", str(self.folder / "pgdata"), "--port", str(self.pg_port)], self.folder)

    def start_postgres(self) -> None:
        self.postgres = self._postgres().start()
        self.postgres.wait_for(lambda: "postgres ready" in self.postgres.log_text(), "postgres ready", 60)

    @property
    def db_env(self) -> dict[str, str]:
        password = (self.folder / "pgdata.password").read_text().strip()
        return {
            "DB_HOST": "127.0.0.1", "DB_PORT": str(self.pg_port), "DB_USER": "cakap", "DB_PASSWORD": password,
            "DB_NAME": "postgres", "DB_SSLMODE": "disable",
        }  # fmt: skip

    def conversations_process(self, port: int, name: str = "conversations", embed: bool = True) -> Process:
        env = {**self.db_env, "CAKAP_EMBED_URLS": f"http://127.0.0.1:{self.worker_port}" if embed else ""}
        return Process(name, ["conversations", "--port", str(port), "--edge", self.edge], self.folder, env)

    def start(self) -> Stack:
        self.start_postgres()
        self.worker.start()
        self.edge_process.start()
        self.edge_process.wait_http(self.edge + "/healthz")
        self.worker.wait_http(f"http://127.0.0.1:{self.worker_port}/")
        service = self.conversations_process(self.service_port).start()
        self.services.append(service)
        service.wait_http(self.service + "/healthz")
        self.idp = boto3.client(
            "cognito-idp", endpoint_url=self.edge + "/idp/", region_name="us-east-1",
            aws_access_key_id="cakap-test", aws_secret_access_key="cakap-test",
            config=Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 1, "mode": "standard"}),
        )  # fmt: skip
        return self

    def register(self, label: str) -> User:
        """Sign up, operator-confirm (`cakap users confirm`), sign in."""
        email = f"{label}-{uuid.uuid4().hex[:10]}@example.com"
        client_id = "cakapdevelopmentclient0001"
        signed_up = self.idp.sign_up(
            ClientId=client_id, Username=email, Password=PASSWORD,
            UserAttributes=[{"Name": "email", "Value": email}, {"Name": "name", "Value": label}],
        )  # fmt: skip
        subprocess.run(
            [cakap_bin(), "users", "confirm", email, "--data", str(self.identity_data)], check=True,
            capture_output=True, timeout=30,
        )  # fmt: skip
        result = self.idp.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD}, ClientId=client_id
        )["AuthenticationResult"]
        return User(email, signed_up["UserSub"], result["IdToken"])

    def stop(self) -> None:
        for process in [*self.services, self.edge_process, self.worker, self.postgres]:
            process.stop()

    def logs(self) -> str:
        return "".join(p.log_text() for p in [*self.services, self.edge_process, self.postgres])


@pytest.fixture(scope="session")
def stack():
    folder = Path(tempfile.mkdtemp(prefix="cakap-conversations-test-", dir="/tmp"))
    folder.chmod(0o755)  # as root, PostgreSQL runs as the unprivileged cakap-postgres user
    stack = Stack(folder)
    try:
        yield stack.start()
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def alice(stack: Stack) -> User:
    return stack.register("alice")


@pytest.fixture(scope="session")
def bob(stack: Stack) -> User:
    return stack.register("bob")


@pytest.fixture()
def http() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    return session
