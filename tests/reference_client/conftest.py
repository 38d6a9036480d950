"""Fixtures for the reference-client tier (issue 16): one `cakap up --small` started as
docs/reference-client.md says (`--cors-origin http://localhost:3000 --auto-confirm`), and the
brief's client's Cognito calls made as its AWS SDK makes them (boto3's cognito-idp client stands in
for the JavaScript SDK: the same JSON protocol to the same endpoint).

The fleet machinery is the fleet tests' (tests/fleet/fleet_process.py); nothing here changes it.
Missing prerequisites FAIL, never skip.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

from cakap_testing.fleet_identity import IdentityProvider  # noqa: E402
from cakap_testing.fleet_process import Fleet, require_setup_store, running  # noqa: E402
from cakap_testing.reference_calls import ORIGIN  # noqa: E402

os.environ["NO_PROXY"] = ",".join(filter(None, [os.environ.get("NO_PROXY"), "127.0.0.1", "localhost"]))
os.environ["no_proxy"] = os.environ["NO_PROXY"]


class ReferenceFleet(Fleet):
    """`cakap up --small` allowing the reference client's origin, with sign-ups auto-confirmed."""

    def command(self) -> list[str]:
        return [*super().command(), "--cors-origin", ORIGIN, "--auto-confirm"]


@pytest.fixture(scope="session")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReferenceFleet]:
    require_setup_store()
    with running(ReferenceFleet(tmp_path_factory.mktemp("reference-client"), small=True)) as fleet:
        yield fleet


@pytest.fixture(scope="session")
def identity(fleet: ReferenceFleet) -> IdentityProvider:
    return IdentityProvider(fleet)
