"""Which checkout `cakap` reads infra/, config/, tools/ and web/ from (issue 20's loose end): the one
it is run for, found at run time — `$CAKAP_REPOSITORY`, else the working directory or a parent, else
the folder of the executable or a parent — never the path it was compiled at. A copied or installed
binary (the worker bundle's `cakap`, an operator's) with no checkout in sight says so and how to
name one, instead of reading the build machine's files (R-OPS-5, R-OPS-6: `cakap aws plan`,
`deploy`, `destroy` must act on the templates the operator has)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from cfn_model import ROOT
from test_deployment_blockers import needs_cakap
from worker_env import CAKAP

pytestmark = needs_cakap

STACKS = len(json.loads((ROOT / "infra" / "stacks.json").read_text())["stacks"])


@pytest.fixture(scope="module")
def copied_cakap(tmp_path_factory) -> Path:
    """The built cakap copied out of the checkout, as an operator installs it (not a symlink: the
    executable's own folder is one of the places looked in)."""
    folder = tmp_path_factory.mktemp("installed") / "bin"
    folder.mkdir()
    shutil.copy2(CAKAP, folder / "cakap")
    return folder / "cakap"


@pytest.fixture(scope="module")
def other_checkout(tmp_path_factory) -> Path:
    """A second checkout whose plan differs from this one's: its last stack is gone, and the NAT
    template has a name only this checkout has (a plan whose templates were looked up in another
    checkout is refused: "missing template")."""
    root = tmp_path_factory.mktemp("other-checkout")
    shutil.copytree(ROOT / "infra", root / "infra")
    plan = json.loads((root / "infra" / "stacks.json").read_text())
    plan["stacks"] = plan["stacks"][:-1]
    templates = root / "infra" / "cloudformation" / "common"
    (templates / "nat.yaml").rename(templates / "nat-of-the-other-checkout.yaml")
    for entry in plan["stacks"]:
        entry["template"] = entry["template"].replace("common/nat.yaml", "common/nat-of-the-other-checkout.yaml")
    (root / "infra" / "stacks.json").write_text(json.dumps(plan))
    return root


def run(executable: Path | str, *arguments: str, cwd: Path, repository: Path | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "CAKAP_REPOSITORY"}
    if repository is not None:
        environment["CAKAP_REPOSITORY"] = str(repository)
    return subprocess.run([str(executable), *arguments], cwd=cwd, env=environment, capture_output=True, text=True,
                          timeout=60)  # fmt: skip


def planned(result: subprocess.CompletedProcess) -> list[dict]:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


WEB_BUNDLE = ["aws", "web-bundle", "--api-url", "https://example.invalid/lks-prod", "--user-pool-id", "us-east-1_x",
              "--client-id", "client"]  # fmt: skip


@pytest.mark.parametrize("command", [["aws", "plan", "--json"], ["aws", "cost"], [*WEB_BUNDLE, "--output", "site.zip"]])
def test_a_copied_cakap_with_no_checkout_in_sight_says_so(copied_cakap: Path, tmp_path: Path, command: list[str]) -> None:
    """Before: it read the checkout it was compiled in (on another machine, a path that is not there)."""
    result = run(copied_cakap, *command, cwd=tmp_path)
    assert result.returncode != 0, result.stdout
    assert "no Cakap checkout (a folder with infra/stacks.json)" in result.stderr, result.stderr
    assert str(tmp_path) in result.stderr and "CAKAP_REPOSITORY=" in result.stderr
    assert "NSCocoaErrorDomain" not in result.stderr and "Error Domain" not in result.stderr


def test_the_working_directorys_checkout_is_the_one_read(copied_cakap: Path, other_checkout: Path) -> None:
    """From anywhere inside a checkout (here its infra/cloudformation/common), that checkout's plan."""
    stacks = planned(run(copied_cakap, "aws", "plan", "--json", cwd=other_checkout / "infra/cloudformation/common"))
    assert len(stacks) == STACKS - 1
    # The same binary from this checkout reads this one's plan.
    assert len(planned(run(copied_cakap, "aws", "plan", "--json", cwd=ROOT))) == STACKS


def test_cakap_repository_names_the_checkout_and_must_be_one(copied_cakap: Path, other_checkout: Path,
                                                             tmp_path: Path) -> None:  # fmt: skip
    """CAKAP_REPOSITORY wins over the working directory; a folder without infra/stacks.json is refused by name."""
    assert len(planned(run(copied_cakap, "aws", "plan", "--json", cwd=ROOT, repository=other_checkout))) == STACKS - 1
    refused = run(copied_cakap, "aws", "plan", cwd=ROOT, repository=tmp_path)
    assert refused.returncode != 0
    assert f"CAKAP_REPOSITORY={tmp_path} is not a Cakap checkout (no infra/stacks.json in it)" in refused.stderr
    assert "CAKAP_REPOSITORY" in run(copied_cakap, "config", cwd=tmp_path).stdout  # declared in the registry


def test_a_given_stack_plan_brings_its_own_checkout(copied_cakap: Path, other_checkout: Path, tmp_path: Path) -> None:
    """--stacks alone is enough: its templates are read beside it, not from a found checkout."""
    stacks = planned(run(copied_cakap, "aws", "plan", "--json", "--stacks", str(other_checkout / "infra/stacks.json"),
                         cwd=tmp_path))  # fmt: skip
    assert len(stacks) == STACKS - 1


def test_a_build_inside_a_checkout_finds_it_from_anywhere(tmp_path: Path) -> None:
    """.build/debug/cakap run from an unrelated folder reads the checkout that holds it."""
    assert len(planned(run(CAKAP, "aws", "plan", "--json", cwd=tmp_path))) == STACKS


def test_web_bundle_without_its_artefact_is_a_usage_error(tmp_path: Path) -> None:
    """A missing web.zip is named with what to do, not a Foundation error dump (cherry-picked 31c00e9)."""
    missing = tmp_path / "web.zip"
    result = run(CAKAP, *WEB_BUNDLE, "--web", str(missing), "--output", str(tmp_path / "site.zip"), cwd=ROOT)
    assert result.returncode == 64, (result.returncode, result.stderr)  # ArgumentParser's usage error
    assert f"no web artefact at {missing}: run scripts/build-artefacts, or pass --web" in result.stderr
    assert "Error Domain" not in result.stderr and not (tmp_path / "site.zip").exists()
