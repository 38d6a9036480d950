"""The Lambda functions of api.yaml (R-FN-1, R-FN-2): the real conversations-lambda.zip and
tutor-lambda.zip from the artefacts, unpacked as Lambda unpacks them into /var/task, each
`bootstrap` run under the Runtime API emulator (tests/cakap_testing) with the environment api.yaml
gives the function, and a real PostgreSQL + pgvector (`cakap postgres` of the shipped bundle)
standing for RDS. As `cakap aws deploy` does, the database owner function runs once first (the
migrations, every function's vector index, the role cakap_fn); the routed functions then log in as
cakap_fn, so a function that needs more than that role may do fails here as it would on AWS.

What the template names that only AWS has, and what the rehearsal puts in its place (the only
place these mappings are made):
  {{resolve:secretsmanager:<DatabaseSecretArn>:SecretString:<key>}}
        -> the local PostgreSQL's owner and its generated password
  {{resolve:secretsmanager:<FunctionsDatabaseSecretArn>:SecretString:<key>}}
        -> cakap_fn and a password made for the run
  DatabaseHost / DatabasePort / DatabaseName  -> 127.0.0.1, the local PostgreSQL's port, postgres
  DB_SSLMODE require + DB_SSLROOTCERT /var/task/global-bundle.pem
        -> DB_SSLMODE disable (the loopback PostgreSQL has no RDS certificate; TLS to the database
           is tested by tests/conversations/test_conversations_tls.py)
  CAKAP_EMBED_MODEL nomic-embed-text (768 dimensions, which the functions derive from the name)
        -> also CAKAP_EMBED_DIMENSIONS 384: the setup store's nomic-embed-text is all-minilm under
           the brief's name (no real nomic-embed-text can be fetched here); the workers serve it
           under the fleet's name, so the name each function sends is still the one the fleet pulls
  GatewayNlbDnsName:ZoneAPort / ZoneBPort  -> the NLB relays to the two rehearsed workers (as for
           the HTTP_PROXY routes)
  AllowedOrigin -> the rehearsal's web origin (conftest.WEB_ORIGIN)
  Code.S3Key -> the artefact infra/stacks.json uploads under that key, from scripts/build-artefacts
  /var/task -> the unpacked zip's folder (LAMBDA_TASK_ROOT, as Lambda sets it)
"""
from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import time
import zipfile
from pathlib import Path
from typing import Any

import cakap_testing.lambda_runtime_emulator as runtime  # the conversations tier's emulator, one copy
import cloudformation

REPO = Path(__file__).resolve().parents[2]

SECRET_REFERENCE = re.compile(r"\{\{resolve:secretsmanager:([^}]+?):SecretString:(\w+)\}\}")
# The logical ids of api.yaml's functions the API's routes invoke, and of the one deploy invokes.
ROUTED = ["ConversationsFunction", "TutorFunction"]
OWNER = "OwnerFunction"
# Models the fleet pulls that the setup store has only as another model's name (ModelAlias.briefNames,
# Provisioning/DefaultModels.swift), with the size of the vectors they give here.
STAND_IN_DIMENSIONS = {"nomic-embed-text": 384}  # all-minilm's weights; the real model's vectors have 768


def archive_of(template: dict[str, Any], logical_id: str) -> str:
    """The file scripts/build-artefacts makes for the function's Code.S3Key: infra/stacks.json
    names the artefact the deployment passes as that parameter."""
    key_parameter = template["Resources"][logical_id]["Properties"]["Code"]["S3Key"]["Ref"]
    plan = json.loads((REPO / "infra/stacks.json").read_text())
    stack = next(stack for stack in plan["stacks"] if stack["template"].endswith("us-east-1/api.yaml"))
    return stack["parameters"][key_parameter]["artefact"] + ".zip"


def function_environment(template: dict[str, Any], logical_id: str, parameters: dict[str, str],
                         secrets: dict[str, dict[str, str]]) -> dict[str, str]:
    """The function's Environment.Variables from the template, resolved against `parameters`, its
    Secrets Manager references against `secrets`, then the rehearsal's two overrides (above)."""
    properties = template["Resources"][logical_id]["Properties"]
    variables = cloudformation.resolve(properties["Environment"]["Variables"], parameters)
    environment = {}
    for name, value in variables.items():
        value = SECRET_REFERENCE.sub(lambda match: secrets[match.group(1)][match.group(2)], str(value))
        environment[name] = value
    environment["DB_SSLMODE"] = "disable"
    stand_in = STAND_IN_DIMENSIONS.get(environment.get("CAKAP_EMBED_MODEL", ""))
    if stand_in and "CAKAP_EMBED_DIMENSIONS" not in environment:
        environment["CAKAP_EMBED_DIMENSIONS"] = str(stand_in)
    unresolved = {name: value for name, value in environment.items() if "${" in value or "{{" in value}
    assert not unresolved, f"{logical_id}: the rehearsal does not map {unresolved}"
    return environment


class Function:
    """One function: its zip unpacked into a task root and its bootstrap polling an emulator."""

    def __init__(self, name: str, archive: Path, environment: dict[str, str], folder: Path, timeout: float) -> None:
        self.name, self.environment, self.timeout = name, environment, timeout
        self.task_root = folder / "task"
        with zipfile.ZipFile(archive) as zipped:
            zipped.extractall(self.task_root)
        for member in self.task_root.iterdir():
            member.chmod(0o755)
        self.emulator = runtime.start()
        self.log = folder / f"{name}.log"
        env = {"PATH": "/usr/bin:/bin", "AWS_LAMBDA_RUNTIME_API": self.emulator.endpoint, "_HANDLER": "bootstrap",
               "AWS_LAMBDA_FUNCTION_NAME": name, "LAMBDA_TASK_ROOT": str(self.task_root), **environment}
        self.process = subprocess.Popen([str(self.task_root / "bootstrap")], env=env, cwd=self.task_root,
                                        stdout=self.log.open("wb"), stderr=subprocess.STDOUT)

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        """Invokes the function synchronously, as API Gateway and `aws lambda invoke` do, with the
        deadline of its Timeout; an error outcome is a 502 at the gateway, no answer in time a 504."""
        try:
            outcome = self.emulator.invoke(event, timeout_ms=int(self.timeout * 1000), wait=self.timeout + 2)
        except queue.Empty:
            raise TimeoutError(f"{self.name} did not answer within its {self.timeout:.0f} s") from None
        return outcome.body if outcome.kind == "response" else {"errorType": outcome.error_type}

    def close(self) -> None:
        self.process.kill()
        self.process.wait(10)
        self.emulator.stop()

    def log_tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])


class Postgres:
    """`cakap postgres` of the shipped bundle (PostgreSQL 16 + pgvector) on a free loopback port."""

    def __init__(self, cakap: Path, folder: Path, port: int) -> None:
        folder.chmod(0o755)  # as root, PostgreSQL runs as the unprivileged cakap-postgres user
        self.port, self.data = port, folder / "pgdata"
        self.log = folder / "postgres.log"
        self.process = subprocess.Popen([str(cakap), "postgres", "--data", str(self.data), "--port", str(port)],
                                        stdout=self.log.open("wb"), stderr=subprocess.STDOUT,
                                        env={**os.environ, "NO_PROXY": "127.0.0.1"})
        deadline = time.monotonic() + 90
        while "postgres ready" not in self.log.read_text(errors="replace"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"cakap postgres did not start:\n{self.log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.2)
        self.secret = {"username": "cakap", "password": (folder / "pgdata.password").read_text().strip()}

    def query(self, sql: str) -> str:
        """`sql`'s rows as psql -At prints them, by the psql of the PostgreSQL `cakap postgres` runs
        (as root, its copy under /var/lib/cakap: PostgresCommand.swift)."""
        psql = next(Path("/var/lib/cakap").glob("pgserver-*/pgserver/pginstall/bin/psql"))
        result = subprocess.run([str(psql), "-h", "127.0.0.1", "-p", str(self.port), "-U", self.secret["username"],
                                 "-d", "postgres", "-At", "-c", sql], capture_output=True, text=True, timeout=30,
                                env={**os.environ, "PGPASSWORD": self.secret["password"]})
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()

