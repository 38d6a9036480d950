"""Fixtures for the fleet tests: one real `cakap up` (two regions, balancers, edge, development
identity provider, 12 workers on real llama-server) shared by the session.

Prerequisites (the README's test command provides them; missing ones FAIL, never skip):
- the binary at $CAKAP_BIN (default <repo>/.build/debug/cakap) with the `up` command;
- `cakap setup` done: $CAKAP_HOME/models holds the default models (read-only for the fleet).

Tests run in phases, whatever order they are collected in: the ones that only look (phase 0),
then those that kill workers and balancers (tests/fleet/test_fleet_failover.py, phase 1), then
the shutdown checks (phase 2). A module sets its phase with `FLEET_PHASE = n`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cakap_testing.fleet_identity import DevUser, IdentityProvider
from cakap_testing.fleet_process import DEFAULT_MODELS, LIVE_FLEETS, Fleet, cakap_bin, cakap_home, manifest_path, running, worker_helpers

FLEET_DIRECTORY = Path(__file__).resolve().parent

# Loopback only, whatever proxy the environment names (boto3 reads these variables).
os.environ["NO_PROXY"] = ",".join(filter(None, [os.environ.get("NO_PROXY"), "127.0.0.1", "localhost"]))
os.environ["no_proxy"] = os.environ["NO_PROXY"]


@pytest.fixture(scope="session")
def cakap_up_binary() -> Path:
    path = cakap_bin()
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"cakap binary not found at {path} (set CAKAP_BIN or build it)", pytrace=False)
    help_text = subprocess.run([str(path), "up", "--help"], capture_output=True, text=True, timeout=30)
    if "cakap up" not in (help_text.stdout + help_text.stderr):
        pytest.fail(f"{path} has no `up` command (issue 3 not built yet)", pytrace=False)
    return path


@pytest.fixture(scope="session")
def setup_store(cakap_up_binary: Path) -> Path:
    store = cakap_home() / "models"
    missing = [model for model in DEFAULT_MODELS if not manifest_path(store, model).is_file()]
    if missing:
        pytest.fail(f"setup store {store} lacks {', '.join(missing)}: run `cakap setup` first", pytrace=False)
    return store


@pytest.fixture(scope="session")
def fleet(setup_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    """The full fleet (two workers per pool and region), stopped with SIGTERM at the end; its
    teardown fails if anything it started is left running."""
    with running(Fleet(tmp_path_factory.mktemp("fleet"))) as fleet:
        yield fleet


@pytest.fixture(scope="session")
def identity(fleet: Fleet) -> IdentityProvider:
    return IdentityProvider(fleet)


@pytest.fixture(scope="session")
def user(identity: IdentityProvider) -> DevUser:
    """A confirmed, signed-in learner (R-AUTH-1..7) used by most tests."""
    return identity.register("learner")


@pytest.fixture(scope="session")
def other_user(identity: IdentityProvider) -> DevUser:
    return identity.register("other")


def pytest_sessionstart(session: pytest.Session) -> None:
    """tests/integration's modules `from conftest import ...`: when one run starts with both
    directories, pytest may leave this file under that name, so hand the name back to theirs
    (the same file, loaded once more by fleet_process)."""
    if getattr(sys.modules.get("conftest"), "__file__", None) == __file__:
        sys.modules["conftest"] = worker_helpers


def _phase(item: pytest.Item) -> int:
    return getattr(getattr(item, "module", None), "FLEET_PHASE", 0)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Destructive fleet tests last; other directories' tests keep their places."""
    slots = [index for index, item in enumerate(items) if FLEET_DIRECTORY in Path(str(item.path)).parents]
    ordered = sorted((items[index] for index in slots), key=_phase)  # stable: collection order within a phase
    for index, item in zip(slots, ordered):
        items[index] = item


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Attaches the tail of `cakap up`'s output to a failed fleet test's report."""
    outcome = yield
    report = outcome.get_result()
    if report.failed and FLEET_DIRECTORY in Path(str(item.path)).parents:
        for fleet in LIVE_FLEETS:
            if str(fleet.log_path) not in report.longreprtext:  # a start failure already shows it
                report.sections.append((f"cakap up :{fleet.edge_port} output", fleet.log_tail()))
