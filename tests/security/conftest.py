"""Fixtures for the security tests: one `cakap up --small` (both regions, balancers, edge with the
development identity provider, PostgreSQL, conversations, tutor) with a static web folder of the
tests' own, two signed-in learners, and forged tokens signed with the pool's own key.

The fleet machinery is the fleet tests' (tests/fleet/fleet_process.py); nothing here changes it.
Every secret a test handles (passwords, tokens, the database password) is remembered in SECRETS,
and tests/security/test_security_logs.py, which runs last, greps every log line for them.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding  # noqa: E402
from cakap_testing.fleet_identity import PASSWORD, DevUser, IdentityProvider  # noqa: E402
from cakap_testing.fleet_os import fleet_port_plan  # noqa: E402
from cakap_testing.fleet_process import REGIONS, Fleet, running  # noqa: E402
from cakap_testing.fleet_wire import b64url_encode, encode_segment, jwt_parts  # noqa: E402

SECURITY_DIRECTORY = Path(__file__).resolve().parent
SECRETS: set[str] = {PASSWORD}
WEB_INDEX = "<!doctype html><title>cakap security test</title>"


class SecurityFleet(Fleet):
    """`cakap up --small` serving a web folder of the test's own (index.html, app.js)."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory, small=True)
        self.web = directory / "web"
        self.web.mkdir()
        (self.web / "index.html").write_text(WEB_INDEX)
        (self.web / "app.js").write_text("console.log('cakap');\n")

    def command(self) -> list[str]:
        return [*super().command(), "--web", str(self.web)]

    def call_edge(self, method: str, path: str, token: str | None = None, bearer: bool = False, **kwargs: Any):
        """As the fleet's, but a 429 (the per-user throttle, docs/fleet.md) is retried after its
        `Retry-After`, as a client should: these tests send more than 20 requests/s per user."""
        for _ in range(30):
            response = super().call_edge(method, path, token=token, bearer=bearer, **kwargs)
            if response.status_code != 429:
                return response
            time.sleep(float(response.headers.get("Retry-After", "1")))
        return response

    @property
    def database_password_file(self) -> Path:
        """Beside the embedded PostgreSQL's data: under /var/lib/cakap as root (it runs as an
        unprivileged user that cannot enter root's home), else in the fleet's data folder."""
        port = fleet_port_plan(self.base_port, self.worker_count, len(REGIONS))["postgres"][0]
        if os.geteuid() != 0:
            return self.data / "postgres.password"
        return Path(f"/var/lib/cakap/up-{port}/postgres.password")


@pytest.fixture(scope="session")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecurityFleet]:
    with running(SecurityFleet(tmp_path_factory.mktemp("security"))) as fleet:
        yield fleet


@pytest.fixture(scope="session")
def identity(fleet: SecurityFleet) -> IdentityProvider:
    return IdentityProvider(fleet)


def remember(user: DevUser) -> DevUser:
    SECRETS.update(filter(None, (user.password, user.id_token, user.access_token, user.refresh_token)))
    return user


@pytest.fixture(scope="session")
def alice(identity: IdentityProvider) -> DevUser:
    return remember(identity.register("alice"))


@pytest.fixture(scope="session")
def bob(identity: IdentityProvider) -> DevUser:
    return remember(identity.register("bob"))


def subject(user: DevUser) -> str:
    return jwt_parts(user.id_token)[1]["sub"]


@pytest.fixture(scope="session")
def alice_conversation(fleet: SecurityFleet, alice: DevUser) -> dict[str, Any]:
    """A conversation of Alice's, stored through the edge."""
    body = {
        "id": str(uuid.uuid4()),
        "title": "Alice's private chat",
        "conversation": [{"role": "user", "content": "My secret: I goes to school yesterday."}],
    }
    response = fleet.call_edge("POST", f"/conversations/{subject(alice)}", token=alice.id_token, json=body)
    assert response.status_code == 201, response.text
    return response.json()


class TokenForge:
    """Signs tokens with the development pool's own RS256 key (read from its data folder), so that
    a token with wrong claims has a valid signature and only the claim checks can reject it."""

    def __init__(self, fleet: SecurityFleet, template: str) -> None:
        key_path = Path(fleet.state["identity"]["dataDirectory"]) / "signing-key.pem"
        self.key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        self.header, self.claims, _ = jwt_parts(template)

    def sign(self, header: dict[str, Any] | None = None, **claims: Any) -> str:
        header = {**self.header, **(header or {})}
        header = {name: value for name, value in header.items() if value is not None}
        payload = {**self.claims, **claims}
        payload = {name: value for name, value in payload.items() if value is not None}
        signing_input = f"{encode_segment(header)}.{encode_segment(payload)}"
        signature = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{b64url_encode(signature)}"


@pytest.fixture(scope="session")
def forge(fleet: SecurityFleet, alice: DevUser) -> TokenForge:
    return TokenForge(fleet, alice.id_token)


def now() -> int:
    return int(time.time())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The log grep (a module with RUN_LAST = True) runs after every other security test."""
    def last(item: pytest.Item) -> bool:
        return SECURITY_DIRECTORY in Path(str(item.path)).parents and getattr(item.module, "RUN_LAST", False)

    items.sort(key=last)  # stable

