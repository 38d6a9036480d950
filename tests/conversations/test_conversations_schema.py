"""schemathesis against our OpenAPI 3.1 file on the running service, with a valid token:
no server errors and no response that violates the schema (R-API-1)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import REPOSITORY, Stack, User

HERE = Path(__file__).resolve().parent


def test_schemathesis_finds_no_server_error_and_no_schema_violation(stack: Stack, alice: User, tmp_path) -> None:
    st = Path(sys.executable).parent / "st"
    env = {**os.environ, "CAKAP_TEST_UID": alice.sub, "CAKAP_TEST_TOKEN": alice.token}
    command = [
        str(st), "--config-file", str(HERE / "schemathesis.toml"), "run",
        str(REPOSITORY / "docs/openapi/conversations.yaml"), "--url", stack.service,
        "--checks", "not_a_server_error,response_schema_conformance,content_type_conformance",
        "--max-examples", os.environ.get("CAKAP_ST_EXAMPLES", "40"), "--seed", os.environ.get("CAKAP_ST_SEED", "7"), "--report", "junit", "--report-dir", str(tmp_path),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    print(output[-2500:])
    assert "Authentication failed" not in output, output[-3000:]  # every operation was really exercised
    assert " 0 passed" not in output
