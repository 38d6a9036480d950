"""`cakap postgres`: the local PostgreSQL 16 + pgvector that stands in for RDS (R-DB-1, R-DB-2,
R-DB-3 — password authentication even on loopback, the password never printed)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
CAKAP_HOME = Path(os.environ.get("CAKAP_HOME") or Path.home() / ".cache" / "cakap")


def cakap_bin() -> str:
    binary = os.environ.get("CAKAP_BIN") or str(REPOSITORY / ".build" / "debug" / "cakap")
    if not Path(binary).is_file():
        pytest.fail(f"no cakap binary at {binary}", pytrace=False)
    return binary


def psql() -> str:
    """The engine's own client (as root it runs from the mirror the server uses)."""
    mirrored = Path("/var/lib/cakap/pgserver-0.1.4/pgserver/pginstall/bin/psql")
    cached = CAKAP_HOME / "engines/postgres-pgserver-0.1.4/pgserver/pginstall/bin/psql"
    return str(mirrored if os.geteuid() == 0 else cached)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    # World-traversable: as root the server runs as the unprivileged user `cakap-postgres`.
    folder = Path(tempfile.mkdtemp(prefix="cakap-postgres-test-", dir="/tmp"))
    folder.chmod(0o755)
    port = free_port()
    output = open(folder / "cakap.out", "w+")
    process = subprocess.Popen(
        [cakap_bin(), "postgres", "--data", str(folder / "data"), "--port", str(port)],
        stdout=output, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while "postgres ready" not in (folder / "cakap.out").read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"cakap postgres did not start: {(folder / 'cakap.out').read_text()}")
        time.sleep(0.2)
    yield {"process": process, "port": port, "folder": folder,
           "password": (folder / "data.password").read_text().strip()}
    if process.poll() is None:
        process.kill()
    shutil.rmtree(folder, ignore_errors=True)


def run_sql(server: dict, sql: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    environment = dict(os.environ, PGPASSWORD=password or server["password"], PGCONNECT_TIMEOUT="5")
    return subprocess.run(
        [psql(), "-h", "127.0.0.1", "-p", str(server["port"]), "-U", "cakap", "-d", "postgres", "-At", "-c", sql],
        capture_output=True, text=True, env=environment, timeout=30)


def test_vector_extension_and_distance(server):
    """R-DB-1, R-DB-2: the service may enable pgvector itself; a distance query works."""
    result = run_sql(server, "CREATE EXTENSION IF NOT EXISTS vector; SELECT '[1,2,3]'::vector <-> '[1,2,4]'::vector")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "1"
    again = run_sql(server, "CREATE EXTENSION IF NOT EXISTS vector; SELECT extversion FROM pg_extension WHERE extname = 'vector'")
    assert again.returncode == 0 and again.stdout.strip().splitlines()[-1].startswith("0.")


def test_wrong_password_is_refused_and_the_password_is_never_printed(server):
    """R-DB-3: SCRAM password authentication on loopback too; the secret stays in its 0600 file."""
    refused = run_sql(server, "SELECT 1", password="not-the-password")
    assert refused.returncode != 0
    assert "password authentication failed" in refused.stderr
    assert server["password"] not in (server["folder"] / "cakap.out").read_text()
    assert oct((server["folder"] / "data.password").stat().st_mode & 0o777) == "0o600"


def test_sigterm_stops_it_cleanly(server):
    """Ctrl-C/SIGTERM: a fast shutdown, exit 0, no server process left."""
    server["process"].send_signal(signal.SIGTERM)
    assert server["process"].wait(timeout=30) == 0
    data = str(server["folder"] / "data")
    assert [pid for pid in Path("/proc").iterdir() if pid.name.isdigit() and data in cmdline(pid)] == []


def cmdline(process: Path) -> str:
    try:
        return (process / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:  # the process ended while we looked
        return ""
