"""Fixtures for the reference-client tier (issue 16): one `cakap up --small` started as
docs/reference-client.md says (`--cors-origin http://localhost:3000 --auto-confirm`), and the
brief's client's Cognito calls made as its AWS SDK makes them (boto3's cognito-idp client stands in
for the JavaScript SDK: the same JSON protocol to the same endpoint).

The fleet machinery is the fleet tests' (tests/fleet/fleet_process.py); nothing here changes it.
Missing prerequisites FAIL, never skip.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "tests" / "fleet"))

from fleet_identity import IdentityProvider  # noqa: E402
from fleet_process import DEFAULT_MODELS, Fleet, cakap_home, manifest_path  # noqa: E402
from reference_calls import ORIGIN  # noqa: E402

os.environ["NO_PROXY"] = ",".join(filter(None, [os.environ.get("NO_PROXY"), "127.0.0.1", "localhost"]))
os.environ["no_proxy"] = os.environ["NO_PROXY"]


class ReferenceFleet(Fleet):
    """`cakap up --small` allowing the reference client's origin, with sign-ups auto-confirmed."""

    def command(self) -> list[str]:
        return [*super().command(), "--cors-origin", ORIGIN, "--auto-confirm"]


@pytest.fixture(scope="session")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReferenceFleet]:
    store = cakap_home() / "models"
    missing = [model for model in DEFAULT_MODELS if not manifest_path(store, model).is_file()]
    if missing:
        pytest.fail(f"setup store {store} lacks {', '.join(missing)}: run `cakap setup` first", pytrace=False)
    fleet = ReferenceFleet(tmp_path_factory.mktemp("reference-client"), small=True)
    try:
        yield fleet.start()
    finally:
        report = fleet.stop()
        if not report.clean:
            pytest.fail(f"cakap up did not stop cleanly: {report}\n{fleet.log_tail()}", pytrace=False)


@pytest.fixture(scope="session")
def identity(fleet: ReferenceFleet) -> IdentityProvider:
    return IdentityProvider(fleet)
