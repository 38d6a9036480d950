"""`cakap aws smoke` (issue 7) run against the local fleet, whose edge has API Gateway's shape:
the same HTTP checks an operator runs after a deployment (tags in both regions, a
streamed chat per region, every conversations route, 401 without a token) pass here. The SSM
Run Command checks need real workers and the pull needs a registry; both are skipped here."""

from __future__ import annotations

import subprocess

from cakap_testing.fleet_process import cakap_bin


def test_the_smoke_checks_pass_against_the_local_edge(fleet, user):
    command = [str(cakap_bin()), "aws", "smoke", "--api", fleet.edge, "--id-token", user.id_token, "--skip-ssm",
               "--skip-pull"]  # the fleet tests reach no registry; pulls are proven in tests/integration
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1].endswith("passed, 0 failed"), result.stdout
    assert int(lines[-1].split()[0]) >= 13
    for region in ("us-east-1", "us-west-2"):
        assert any(line.startswith("pass") and f"{region} streamed chat" in line for line in lines), result.stdout
