"""Issue 19, TLS to RDS: DB_SSLMODE=require verifies the chain and host name against DB_SSLROOTCERT, so
the Lambda zips must carry the RDS CA bundle and the functions must name it. The real scripts run here:
scripts/package-lambda (what build-lambda packs with), scripts/build-artefacts (what `cakap aws deploy`
runs) and scripts/lib.sh's rds_ca_bundle, with a test CA and loopback URLs instead of AWS's truststore."""

from __future__ import annotations

import http.server
import os
import signal
import socket
import subprocess
import threading
import zipfile
from pathlib import Path

import pytest

from cfn_model import ROOT, resources, template

BUNDLE_IN_ZIP = "global-bundle.pem"  # what the zips carry; api.yaml's DB_SSLROOTCERT is /var/task/<it>


def make_ca(folder: Path, name: str) -> Path:
    key, cert = folder / f"{name}.key", folder / f"{name}.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "2", "-subj", f"/CN={name}"], check=True, capture_output=True)  # fmt: skip
    return cert


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    """Two CA certificates in one PEM file, as AWS's global bundle holds many."""
    folder = tmp_path_factory.mktemp("ca")
    path = folder / "test-bundle.pem"
    path.write_text(make_ca(folder, "cakap test root 1").read_text() + make_ca(folder, "cakap test root 2").read_text())
    return path


def script(*arguments: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """A script in its own process group, killed whole if it runs past `timeout` (a build it should not start)."""
    environment = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"), **env}
    process = subprocess.Popen(arguments, cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)  # fmt: skip
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"{arguments[0]} still ran after {timeout} s (it should have stopped at the CA bundle)")
    return subprocess.CompletedProcess(arguments, process.returncode, stdout, stderr)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once the probe is closed


@pytest.fixture
def serve(tmp_path):
    """Serves one file's bytes on loopback; yields a function returning its URL."""
    servers = []

    def start(content: bytes) -> str:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                self.send_response(200)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, *_: object) -> None:
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/global/global-bundle.pem"

    yield start
    for server in servers:
        server.shutdown()


def test_issue_19_both_lambda_zips_carry_the_ca_bundle(bundle: Path, tmp_path: Path) -> None:
    """package-lambda with CAKAP_RDS_CA_BUNDLE puts the very file into the conversations and the tutor zip
    (bootstrap beside it); a file that is not X.509 PEM stops it with the reason, writing no zip."""
    bootstrap = tmp_path / "bootstrap"
    bootstrap.write_bytes(b"\x7fELF stand-in for the static bootstrap")
    result = script(str(ROOT / "scripts/package-lambda"), str(bootstrap), str(tmp_path / "out"),
                    env={"CAKAP_RDS_CA_BUNDLE": str(bundle), "CAKAP_HOME": os.environ.get("CAKAP_HOME", str(Path.home() / ".cache/cakap"))})  # fmt: skip
    assert result.returncode == 0, result.stderr
    for name in ("cakap-lambda.zip", "tutor-lambda.zip"):
        with zipfile.ZipFile(tmp_path / "out" / name) as archive:
            assert archive.read(BUNDLE_IN_ZIP) == bundle.read_bytes(), name
            assert archive.read("bootstrap") == bootstrap.read_bytes()
    not_pem = tmp_path / "not.pem"
    not_pem.write_text("<html>Access denied</html>\n")
    refused = script(str(ROOT / "scripts/package-lambda"), str(bootstrap), str(tmp_path / "refused"),
                     env={"CAKAP_RDS_CA_BUNDLE": str(not_pem)})  # fmt: skip
    assert refused.returncode != 0 and "holds no PEM certificate" in refused.stderr
    assert not (tmp_path / "refused" / "cakap-lambda.zip").exists()


def test_issue_19_build_artefacts_stops_first_without_a_bundle_or_network(tmp_path: Path) -> None:
    """With CAKAP_RDS_CA_BUNDLE unset and the truststore unreachable, build-artefacts fails in seconds,
    before any build, saying what to do; it never produces zips that cannot reach RDS."""
    url = f"http://127.0.0.1:{closed_port()}/global/global-bundle.pem"
    result = script(str(ROOT / "scripts/build-artefacts"), str(tmp_path / "out"),
                    env={"CAKAP_HOME": str(tmp_path / "home"), "CAKAP_RDS_CA_URL": url}, timeout=60)  # fmt: skip
    assert result.returncode != 0
    assert f"cannot download the RDS CA bundle from {url}" in result.stderr
    assert "set CAKAP_RDS_CA_BUNDLE" in result.stderr
    assert "conversations Lambda" not in result.stdout  # stopped before the first build step
    assert list((tmp_path / "out").iterdir()) == []


def test_issue_19_the_downloaded_bundle_is_checked(bundle: Path, serve, tmp_path: Path) -> None:
    """rds_ca_bundle (build-artefacts' first step) keeps a download only when it is X.509 PEM: an error page
    served with 200 is refused; AWS's file (here the test bundle) lands in $CAKAP_HOME/downloads."""
    home = tmp_path / "home"
    run = [str(Path("/bin/bash")), "-c", 'source scripts/lib.sh && rds_ca_bundle']
    refused = script(*run, env={"CAKAP_HOME": str(home), "CAKAP_RDS_CA_URL": serve(b"<html>captive portal</html>\n")})
    assert refused.returncode != 0 and "holds no PEM certificate" in refused.stderr
    assert not (home / "downloads" / "rds-global-bundle.pem").exists()
    fetched = script(*run, env={"CAKAP_HOME": str(home), "CAKAP_RDS_CA_URL": serve(bundle.read_bytes())})
    assert fetched.returncode == 0, fetched.stderr
    path = Path(fetched.stdout.strip())
    assert path == home / "downloads" / "rds-global-bundle.pem" and path.read_bytes() == bundle.read_bytes()
    # An operator's own file is used as it is, and checked the same way.
    given = script(*run, env={"CAKAP_HOME": str(home), "CAKAP_RDS_CA_BUNDLE": str(bundle), "CAKAP_RDS_CA_URL": "http://127.0.0.1:9/"})
    assert given.returncode == 0 and given.stdout.strip() == str(bundle)


def test_issue_19_every_database_function_verifies_with_the_bundle_its_zip_carries() -> None:
    """Each function of api.yaml that talks to the database verifies TLS (require, which now checks chain and
    host) against /var/task/global-bundle.pem, the file the zips carry (Lambda unpacks a zip into /var/task)."""
    functions = resources(template("us-east-1/api.yaml"), "AWS::Lambda::Function")
    with_database = {name: f["Properties"]["Environment"]["Variables"] for name, f in functions.items()
                     if "DB_HOST" in f["Properties"]["Environment"]["Variables"]}  # fmt: skip
    assert {"ConversationsFunction", "TutorFunction"} <= set(with_database)
    for name, variables in with_database.items():
        assert variables["DB_SSLMODE"] in ("require", "verify-full"), name
        assert variables.get("DB_SSLROOTCERT") == f"/var/task/{BUNDLE_IN_ZIP}", name
