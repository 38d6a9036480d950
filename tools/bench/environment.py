"""Where the bench finds engines and models (the layout of `cakap setup`, Sources/Provisioning/
CakapPaths.swift), the machine facts for the report, and signing in to the development identity
provider (Cognito's JSON protocol, as the web app and boto3 do)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import uuid
from datetime import datetime, timezone
from pathlib import Path

from anchors import cakap_home
from processes import BenchError, http

LLAMA_CPP_VERSION = "11434.0.0"
PGSERVER_VERSION = "0.1.4"
CLIENT_ID = "cakapdevelopmentclient0001"
PASSWORD = "Cakap-Bench-7!"


def llama_server() -> str:
    path = cakap_home() / "engines" / f"llama.cpp-{LLAMA_CPP_VERSION}" / "build" / "bin" / "llama-server"
    if not path.exists():
        raise BenchError(f"no llama-server at {path}; run `cakap setup`")
    return str(path)


def models_root() -> Path:
    return Path(os.environ.get("CAKAP_MODELS") or cakap_home() / "models")


def model_blob(name: str) -> str:
    """The GGUF blob a model name resolves to in the store (Ollama's layout)."""
    model, _, tag = name.partition(":")
    manifest = models_root() / "manifests" / "registry.ollama.ai" / "library" / model / (tag or "latest")
    if not manifest.exists():
        raise BenchError(f"model {name} is not in the store ({manifest}); run `cakap setup`")
    for layer in json.loads(manifest.read_text())["layers"]:
        if layer["mediaType"] == "application/vnd.ollama.image.model":
            return str(models_root() / "blobs" / layer["digest"].replace(":", "-"))
    raise BenchError(f"manifest of {name} has no model layer")


def psql_binary() -> str:
    """As root PostgreSQL runs from a mirror under /var/lib/cakap (the server user cannot enter
    root's home; Sources/CakapCLI/PostgresCommand.swift)."""
    if os.geteuid() == 0:
        return f"/var/lib/cakap/pgserver-{PGSERVER_VERSION}/pgserver/pginstall/bin/psql"
    return str(cakap_home() / "engines" / f"postgres-pgserver-{PGSERVER_VERSION}" / "pgserver" / "pginstall" / "bin" / "psql")


def machine_facts(repository: Path) -> dict:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory_kib = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")))

    def git(*arguments: str) -> str:
        result = subprocess.run(["git", *arguments], cwd=repository, capture_output=True, text=True)
        return result.stdout.strip()

    dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "kernel": platform.release(), "os": platform.freedesktop_os_release().get("PRETTY_NAME", "") if hasattr(platform, "freedesktop_os_release") else "",
        "commit": git("rev-parse", "--short=12", "HEAD") + (" (with uncommitted changes)" if dirty else ""),
        "load_average": " ".join(f"{value:.2f}" for value in os.getloadavg()),
        "python": platform.python_version(),
    }  # fmt: skip


def cognito(edge: str, action: str, body: dict) -> dict:
    status, answer = http("POST", edge + "/idp/", json.dumps(body).encode(), {
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"AWSCognitoIdentityProviderService.{action}"})
    if status != 200:
        raise BenchError(f"identity provider {action}: {status} {answer[:200]!r}")
    return json.loads(answer or b"{}")


def sign_in(cakap: str, edge: str, identity_data: Path) -> tuple[str, str]:
    """A new user: sign up, confirmed by the operator command, signed in. Returns (sub, ID token)."""
    email = f"bench-{uuid.uuid4().hex[:10]}@example.com"
    signed_up = cognito(edge, "SignUp", {"ClientId": CLIENT_ID, "Username": email, "Password": PASSWORD, "UserAttributes": [
        {"Name": "email", "Value": email}, {"Name": "name", "Value": "Bench"}]})
    subprocess.run([cakap, "users", "confirm", email, "--data", str(identity_data)], check=True, capture_output=True, timeout=60)
    result = cognito(edge, "InitiateAuth", {"ClientId": CLIENT_ID, "AuthFlow": "USER_PASSWORD_AUTH",
                                            "AuthParameters": {"USERNAME": email, "PASSWORD": PASSWORD}})
    return signed_up["UserSub"], result["AuthenticationResult"]["IdToken"]
