"""`cakap aws smoke` (the shipped cakap from the bundle) against the API stand-in: the checks a
deployment's first run makes through API Gateway (R-API-1, R-API-2, R-AUTH-6, R-LLM-4), the
conversations ones through the real conversations Lambda zip and PostgreSQL + pgvector."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from conftest import REPO, function_name

# Every check the smoke makes through the API must pass. Skipped: the SSM Run Command checks (no
# Systems Manager here: the workers' own tags and the private ALB are the fleet tier's and
# test_worker_instances' to show), and the pull refusal (--skip-pull: the rehearsal's stand-in
# serves no ALB rule; the refusal itself is tests/fleet's).
EXPECTED = ["no token: 401", "us-east-1 tags", "us-west-2 tags", "same models in both regions",
            "us-east-1 streamed chat", "us-west-2 streamed chat", "POST /conversations/", "a vector was stored",
            "GET /conversations/", "PUT /conversations/", "GET /conversations/{other}: 403", "DELETE /conversations/"]


def test_cakap_aws_smoke_passes_every_check_through_the_api(bundle: Path, api, token: str, functions) -> None:
    result = subprocess.run(
        [str(bundle / "bin/cakap"), "aws", "smoke", "--api", api.url, "--id-token", token, "--skip-ssm", "--skip-pull",
         "--stacks", str(REPO / "infra/stacks.json")],
        capture_output=True, text=True, timeout=600,
    )
    checks = [line for line in result.stdout.splitlines() if re.match(r"(pass|FAIL)\s", line)]
    failed = [line for line in checks if line.startswith("FAIL")]
    assert not failed, f"{failed}\n{result.stdout}\n{result.stderr[-2000:]}"
    for name in EXPECTED:
        assert any(name in line for line in checks), f"smoke did not check {name!r}:\n{result.stdout}"
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    # The vector is of the model api.yaml gives the conversations function, the one the fleet serves.
    vector = next(line for line in checks if "a vector was stored" in line)
    assert functions[function_name("ConversationsFunction")].environment["CAKAP_EMBED_MODEL"] in vector, vector
