"""No token, password or database secret in any log line (issue 9). Runs after every other
security test (RUN_LAST), so the logs hold sign-ups, sign-ins, failed sign-ins, forged tokens on
every route, injection strings and the services' errors. Greps every log the fleet wrote: `cakap
up`'s own output and every file under its logs folder (edge, balancers, workers, engines,
PostgreSQL, conversations, tutor)."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import SECRETS

RUN_LAST = True
JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}")


def log_files(fleet) -> list[Path]:
    logs = Path(fleet.state["logs"])
    return [fleet.log_path, *sorted(path for path in logs.rglob("*") if path.is_file())]


def test_no_secret_appears_in_any_log_line(fleet, identity, alice):
    """Issue 9, R-DB-3: a failed sign-in with a password-like string first; then every line of
    every log is searched for each password, each token and its signature, any JWT-shaped string,
    and the database password."""
    wrong_password = "Wr0ng-Secret-Pa55!"
    SECRETS.add(wrong_password)
    response = fleet.post(identity.endpoint, json={"ClientId": identity.client_id, "AuthFlow": "USER_PASSWORD_AUTH",
                                                   "AuthParameters": {"USERNAME": alice.email,
                                                                      "PASSWORD": wrong_password}},
                          headers={"X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
                                   "Content-Type": "application/x-amz-json-1.1"})  # fmt: skip
    assert response.status_code == 400, response.text
    database_password = fleet.database_password_file.read_text().strip()
    assert len(database_password) >= 16, "the database password file is empty or weak"
    needles = {secret for secret in SECRETS if len(secret) >= 8} | {database_password}
    needles |= {secret.rsplit(".", 1)[-1] for secret in SECRETS if secret.count(".") == 2}  # signatures
    files = log_files(fleet)
    assert len(files) >= 5, files
    found = []
    scanned = 0
    for path in files:
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            scanned += 1
            if JWT_SHAPE.search(line):
                found.append(f"{path.name}:{number}: a JWT: {line[:160]}")
            for needle in needles:
                if needle in line:
                    found.append(f"{path.name}:{number}: a secret ({needle[:6]}…): {line[:160]}")
    print(f"{scanned} lines in {len(files)} log files, {len(needles)} secrets: {len(found)} found")
    assert not found, "\n".join(found[:20])
