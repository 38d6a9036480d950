"""TLS to the database (R-DB-3): a database endpoint that serves a certificate and refuses plain
connections, as RDS does with `rds.force_ssl` (here a TLS front, tls_proxy.py, before the test
PostgreSQL, whose build has no SSL); the service with DB_SSLMODE=verify-full and a CA bundle
connects over TLS, and refuses an endpoint whose certificate another CA signed."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
import zipfile
from pathlib import Path

import cakap_testing.lambda_runtime_emulator as runtime
import pytest
from conftest import REPOSITORY, Process, Stack, User, free_port
from test_lambda import failed_initialisation, start_function
from tls_proxy import TLSProxy


def make_ca(folder: Path, name: str) -> tuple[Path, Path]:
    key, cert = folder / f"{name}-ca.key", folder / f"{name}-ca.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "2", "-subj", f"/CN={name} test CA"],
        check=True, capture_output=True,
    )  # fmt: skip
    return key, cert


def make_server_certificate(folder: Path, ca_key: Path, ca_cert: Path) -> tuple[Path, Path]:
    key, request, cert = folder / "server.key", folder / "server.csr", folder / "server.crt"
    extensions = folder / "san.ext"
    extensions.write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    subprocess.run(
        ["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(request),
         "-subj", "/CN=localhost"],
        check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run(
        ["openssl", "x509", "-req", "-in", str(request), "-CA", str(ca_cert), "-CAkey", str(ca_key),
         "-CAcreateserial", "-out", str(cert), "-days", "2", "-extfile", str(extensions)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture(scope="module")
def tls_database(stack: Stack):
    folder = stack.folder / "tls"
    folder.mkdir(exist_ok=True)
    ca_key, ca_cert = make_ca(folder, "cakap")
    _, other_ca = make_ca(folder, "other")
    cert, key = make_server_certificate(folder, ca_key, ca_cert)
    proxy = TLSProxy(stack.pg_port, str(cert), str(key))
    yield {"port": proxy.port, "password": stack.db_env["DB_PASSWORD"], "ca": ca_cert, "other_ca": other_ca, "proxy": proxy}
    proxy.close()


def service_env(database: dict, mode: str, ca: Path | None) -> dict[str, str]:
    env = {
        "DB_HOST": "localhost", "DB_PORT": str(database["port"]), "DB_USER": "cakap",
        "DB_PASSWORD": database["password"], "DB_NAME": "postgres", "DB_SSLMODE": mode, "CAKAP_EMBED_URLS": "",
    }  # fmt: skip
    if ca:
        env["DB_SSLROOTCERT"] = str(ca)
    return env


def test_verify_full_connects_over_tls(stack: Stack, tls_database: dict, alice: User, http) -> None:
    port = free_port()
    service = Process(
        "conversations-verify-full", ["conversations", "--port", str(port), "--edge", stack.edge], stack.folder,
        service_env(tls_database, "verify-full", tls_database["ca"]),
    ).start()
    try:
        service.wait_http(f"http://127.0.0.1:{port}/healthz", timeout=60)
        root = f"http://127.0.0.1:{port}/conversations/{alice.sub}"
        body = {"id": str(uuid.uuid4()), "title": "over TLS", "conversation": []}
        assert http.post(root, json=body, headers=alice.headers).status_code == 201
        assert http.get(f"{root}/{body['id']}", headers=alice.headers).json()["title"] == "over TLS"
        assert tls_database["proxy"].handshakes >= 1 and tls_database["proxy"].refused == 0
    finally:
        service.stop()


def test_plain_connections_are_refused_by_the_endpoint(stack: Stack, tls_database: dict) -> None:
    """The stand-in enforces TLS like rds.force_ssl: DB_SSLMODE=disable cannot start."""
    port = free_port()
    service = Process(
        "conversations-plain", ["conversations", "--port", str(port), "--edge", stack.edge, "--startup-patience", "3"],
        stack.folder, service_env(tls_database, "disable", None),
    ).start()
    try:
        assert service.process.wait(90) != 0
    finally:
        service.stop()
    assert tls_database["proxy"].refused >= 1
    assert "schema could not be prepared" in service.log_text() and "crashed" not in service.log_text()


@pytest.mark.parametrize("mode", ["verify-full", "require"])
def test_verify_full_refuses_a_certificate_from_another_ca(stack: Stack, tls_database: dict, mode: str) -> None:
    """R-DB-3, issue 19: `require` verifies too (libpq's does not; before the fix `require` accepted
    any certificate, so whoever sat on the path could read the password)."""
    port = free_port()
    service = Process(
        f"conversations-wrong-ca-{mode}",
        ["conversations", "--port", str(port), "--edge", stack.edge, "--startup-patience", "3"],
        stack.folder, service_env(tls_database, mode, tls_database["other_ca"]),
    ).start()
    try:
        # It never serves: start-up keeps failing to prepare the schema, then exits with the reason.
        assert service.process.wait(90) != 0
    finally:
        service.stop()
    log = service.log_text()
    assert "schema could not be prepared" in log and "CERTIFICATE_VERIFY_FAILED" in log
    assert "Fatal error" not in log and "crashed" not in log  # a clean exit with the reason


def test_the_lambda_zip_verifies_the_database_with_the_bundle_it_carries(stack: Stack, tls_database: dict, tmp_path) -> None:
    """Issue 19: the conversations zip as scripts/package-lambda packs it with CAKAP_RDS_CA_BUNDLE (here the
    endpoint's test CA, on AWS the RDS bundle) serves over TLS with DB_SSLMODE=require and DB_SSLROOTCERT
    naming the bundle inside the unpacked zip, as api.yaml sets /var/task/global-bundle.pem; without
    DB_SSLROOTCERT (the system's roots, which hold neither that CA nor RDS's) its initialisation fails."""
    built = REPOSITORY / ".build/lambda/bootstrap"
    if not built.is_file():
        pytest.fail(f"no Lambda bootstrap at {built}: run scripts/build-lambda", pytrace=False)
    packed = subprocess.run([str(REPOSITORY / "scripts/package-lambda"), str(built), str(tmp_path / "zips")],
                            env={**os.environ, "CAKAP_RDS_CA_BUNDLE": str(tls_database["ca"])},
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert packed.returncode == 0, packed.stderr
    task = tmp_path / "task"  # /var/task on Lambda
    with zipfile.ZipFile(tmp_path / "zips" / "cakap-lambda.zip") as archive:
        assert sorted(archive.namelist()) == ["bootstrap", "global-bundle.pem"]
        archive.extractall(task)
    (task / "bootstrap").chmod(0o755)
    env = service_env(tls_database, "require", task / "global-bundle.pem")
    handshakes = tls_database["proxy"].handshakes
    emulator = runtime.start()
    process = start_function([str(task / "bootstrap")], emulator, env, tmp_path / "lambda.log")
    try:
        sub, conversation_id = str(uuid.uuid4()), str(uuid.uuid4())
        body = {"id": conversation_id, "title": "zip bundle", "conversation": []}
        created = emulator.invoke(runtime.proxy_event("POST", f"/conversations/{sub}", sub, body))
        assert created.kind == "response" and created.body["statusCode"] == 201, (created, (tmp_path / "lambda.log").read_text()[-2000:])
        listed = emulator.invoke(runtime.proxy_event("GET", f"/conversations/{sub}", sub))
        assert [item["title"] for item in json.loads(listed.body["body"])["items"]] == ["zip bundle"]
        assert tls_database["proxy"].handshakes > handshakes
    finally:
        process.kill()
        emulator.stop()
    without = {k: v for k, v in env.items() if k != "DB_SSLROOTCERT"}
    emulator = failed_initialisation([str(task / "bootstrap")], without, tmp_path / "roots.log", timeout=60)
    assert emulator.init_errors and "schema could not be prepared" in emulator.init_errors[0]["errorMessage"]
    assert "CERTIFICATE_VERIFY_FAILED" in (tmp_path / "roots.log").read_text()
