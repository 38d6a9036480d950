"""The infrastructure code passes the real linters: cfn-lint, checkov and ansible-lint (issue 7)."""

from __future__ import annotations

import json
import re

import pytest

from cfn_model import ANSIBLE, ROOT, TEMPLATES, template_paths
from tools import run

# cfn-lint warnings we accept, by rule id, each with the reason. Empty: none remain today.
EXPLAINED_CFN_LINT_WARNINGS: dict[str, str] = {}


@pytest.fixture(scope="module")
def cfn_lint_findings() -> list[dict]:
    files = [str(TEMPLATES / p) for p in template_paths()]
    result = run("cfn-lint", "--format", "json", "--regions", "us-east-1", "us-west-2", "--", *files)
    assert result.returncode in (0, 2, 4, 6, 8, 10, 12, 14), result.stderr
    return json.loads(result.stdout or "[]")


def test_cfn_lint_reports_no_error(cfn_lint_findings: list[dict]) -> None:
    errors = [f for f in cfn_lint_findings if f["Level"] == "Error"]
    assert errors == [], "\n".join(f"{e['Filename']}:{e['Location']['Start']['LineNumber']} {e['Rule']['Id']} {e['Message']}" for e in errors)


def test_cfn_lint_warnings_are_all_explained(cfn_lint_findings: list[dict]) -> None:
    unexplained = [f for f in cfn_lint_findings if f["Level"] == "Warning" and f["Rule"]["Id"] not in EXPLAINED_CFN_LINT_WARNINGS]
    assert unexplained == [], "\n".join(f"{w['Filename']} {w['Rule']['Id']} {w['Message']}" for w in unexplained)


@pytest.fixture(scope="module")
def checkov_report() -> dict:
    result = run(
        # A relative path: checkov's secret scan also reads the file path it injects (`__file__`), so an
        # absolute one made the result depend on where the repository is checked out.
        "checkov", "-d", str(TEMPLATES.relative_to(ROOT)), "--framework", "cloudformation", "--skip-download", "--output", "json",
    )
    assert result.returncode in (0, 1), result.stderr[-2000:]
    report = json.loads(result.stdout)
    return report[0] if isinstance(report, list) else report


def test_checkov_has_no_failed_check(checkov_report: dict) -> None:
    assert checkov_report["summary"]["parsing_errors"] == 0
    failed = checkov_report["results"].get("failed_checks", [])
    assert failed == [], "\n".join(f"{c['file_path']} {c['resource']} {c['check_id']} {c['check_name']}" for c in failed)


def test_checkov_skips_all_carry_a_written_reason(checkov_report: dict) -> None:
    skipped = checkov_report["results"].get("skipped_checks", [])
    assert skipped, "expected the documented skips to be reported"
    thin = [c for c in skipped if len((c.get("check_result", {}).get("suppress_comment") or "").strip()) < 40]
    assert thin == [], [f"{c['resource']} {c['check_id']}" for c in thin]


def test_checkov_skips_are_not_stale(checkov_report: dict) -> None:
    """Every skip written in template metadata suppresses a check that would otherwise fail."""
    used = {(c["file_path"].lstrip("/"), c["resource"].split(".")[-1], c["check_id"]) for c in checkov_report["results"].get("skipped_checks", [])}
    declared = set()
    for relative in template_paths():
        current = None
        for line in (TEMPLATES / relative).read_text().splitlines():
            if match := re.match(r"^  (\w+):$", line):
                current = match.group(1)
            if match := re.search(r"- id: (CKV2?_AWS_\d+)", line):
                declared.add((relative, current, match.group(1)))
    assert declared - used == set()


def test_ansible_lint_production_profile_is_clean() -> None:
    result = run("ansible-lint", "--offline", "--profile", "production", "--nocolor", "worker.yml", cwd=ANSIBLE)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_ansible_playbook_syntax_check() -> None:
    result = run("ansible-playbook", "--syntax-check", "-i", "localhost,", "-c", "local", "worker.yml", cwd=ANSIBLE)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
