"""The Lambda artefact (R-FN-1, R-FN-2): the static `bootstrap` from scripts/build-lambda, run
against a local Runtime API emulator and the real PostgreSQL, with API Gateway proxy events for
every route; then the same zip inside a Debian bullseye chroot (glibc 2.31, older than Amazon
Linux 2023's 2.34), reaching the database by host name."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
import zipfile
from pathlib import Path

import cakap_testing.lambda_runtime_emulator as runtime
import pytest
from conftest import CAKAP_HOME, REPOSITORY, Stack

ARTEFACT = Path(os.environ.get("CAKAP_LAMBDA_ZIP") or REPOSITORY / ".build/lambda/cakap-lambda.zip")
CHROOT = CAKAP_HOME / "chroots" / "bullseye"


@pytest.fixture(scope="module")
def bootstrap(tmp_path_factory) -> Path:
    if not ARTEFACT.is_file():
        pytest.fail(f"no Lambda artefact at {ARTEFACT}: run scripts/build-lambda", pytrace=False)
    folder = tmp_path_factory.mktemp("lambda")
    with zipfile.ZipFile(ARTEFACT) as archive:
        assert archive.namelist() == ["bootstrap"]
        archive.extractall(folder)
    path = folder / "bootstrap"
    path.chmod(0o755)
    assert "statically linked" in subprocess.run(["file", str(path)], capture_output=True, text=True).stdout
    return path


def start_function(command: list[str], emulator: runtime.Emulator, env: dict[str, str], log: Path) -> subprocess.Popen:
    environment = {
        "PATH": "/usr/bin:/bin", "AWS_LAMBDA_RUNTIME_API": emulator.endpoint, "_HANDLER": "conversations",
        "AWS_LAMBDA_FUNCTION_NAME": "lks-conversations", "CAKAP_CORS_ORIGINS": "https://app.example", **env,
    }  # fmt: skip
    return subprocess.Popen(command, env=environment, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def failed_initialisation(command: list[str], env: dict[str, str], log: Path, timeout: float = 30) -> runtime.Emulator:
    """Runs a function that must fail to initialise: it exits non-zero; the emulator it reported to
    (its `init_errors`, `next_calls`) is returned, stopped."""
    emulator = runtime.start()
    process = start_function(command, emulator, env, log)
    try:
        assert process.wait(timeout) != 0
    finally:
        process.kill()
        emulator.stop()
    return emulator


def exercise_every_route(emulator: runtime.Emulator) -> None:
    """Every R-API-1 row for two users, a cross-user attempt and bad input, as API Gateway events."""
    users = [str(uuid.uuid4()), str(uuid.uuid4())]
    for sub in users:
        root = f"/conversations/{sub}"
        conversation_id = str(uuid.uuid4())
        body = {"id": conversation_id, "title": "Lambda", "conversation": [{"role": "user", "content": "I has a cat"}]}

        def call(method: str, path: str, payload=None, caller: str | None = sub, query=None) -> tuple[int, dict]:
            outcome = emulator.invoke(runtime.proxy_event(method, path, caller, payload, query))
            assert outcome.kind == "response", outcome
            import json

            return outcome.body["statusCode"], json.loads(outcome.body["body"]) if outcome.body["body"] else {}

        status, created = call("POST", root, body)
        assert status == 201 and created["uid"] == sub
        assert call("GET", root)[1]["items"][0]["id"] == conversation_id
        assert call("GET", f"{root}/{conversation_id}")[1]["conversation"] == body["conversation"]
        assert call("PUT", f"{root}/{conversation_id}", {"title": "Renamed"})[1]["title"] == "Renamed"
        other = users[1] if sub == users[0] else users[0]
        assert call("GET", f"{root}/{conversation_id}", caller=other)[0] == 403
        assert call("GET", f"/conversations/{other}/{conversation_id}", caller=other)[0] == 404
        assert call("GET", f"{root}/not-a-uuid")[0] == 400
        assert call("POST", root, "{broken")[0] == 400
        assert call("GET", root, caller=None)[0] == 401
        assert call("DELETE", f"{root}/{conversation_id}")[1] == {"deleted": 1}
        call("POST", root, {**body, "id": str(uuid.uuid4())})
        assert call("DELETE", root)[1] == {"deleted": 1}
    outcome = emulator.invoke(runtime.proxy_event("GET", f"/conversations/{users[0]}", users[0]))
    assert outcome.body["headers"]["access-control-allow-origin"] == "https://app.example"


def test_the_bootstrap_serves_every_route_through_the_runtime_api(stack: Stack, bootstrap: Path, tmp_path) -> None:
    emulator = runtime.start()
    process = start_function([str(bootstrap)], emulator, stack.db_env, tmp_path / "lambda.log")
    try:
        exercise_every_route(emulator)
        # The deadline header is honoured: an event whose deadline has passed is a Runtime.Timeout.
        late = emulator.invoke(runtime.proxy_event("GET", "/conversations/x", "x"), timeout_ms=-5)
        assert late.kind == "error" and late.error_type == "Runtime.Timeout"
        # A non-proxy event is an error for that invocation, and the function goes on.
        wrong = emulator.invoke({"hello": "world"})
        assert wrong.kind == "error" and wrong.error_type == "Runtime.InvalidEvent"
        assert emulator.invoke(runtime.proxy_event("GET", "/conversations/x", "x")).body["statusCode"] == 200
        assert process.poll() is None
    finally:
        process.kill()
        emulator.stop()
    log = (tmp_path / "lambda.log").read_text()
    assert stack.db_env["DB_PASSWORD"] not in log  # the password never reaches a log line
    assert runtime.FUNCTION_ARN in log  # the invoked function's ARN is in the invocation's log context


def test_an_init_failure_is_reported_to_the_runtime_api(bootstrap: Path, tmp_path) -> None:
    env = {"DB_HOST": "127.0.0.1", "DB_PORT": "9", "DB_USER": "cakap", "DB_PASSWORD": "x", "DB_SSLMODE": "disable"}
    emulator = failed_initialisation([str(bootstrap)], env, tmp_path / "init.log")
    assert emulator.init_errors and emulator.init_errors[0]["errorType"] == "Runtime.InitError"
    assert "schema could not be prepared" in emulator.init_errors[0]["errorMessage"]
    assert emulator.next_calls == 0  # no invocation was taken before initialisation succeeded


@pytest.fixture(scope="module")
def bullseye() -> Path:
    """A Debian bullseye root made by debootstrap (cached under $CAKAP_HOME/chroots)."""
    if os.geteuid() != 0:
        pytest.fail("the bullseye chroot test needs root (chroot)", pytrace=False)
    if not (CHROOT / ".complete").is_file():
        staging = CHROOT.with_name("bullseye.tmp")
        shutil.rmtree(staging, ignore_errors=True)
        staging.parent.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            ["debootstrap", "--variant=minbase", "bullseye", str(staging), "http://deb.debian.org/debian"],
            capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        if result.returncode != 0:
            pytest.fail(f"debootstrap failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}", pytrace=False)
        (staging / ".complete").touch()
        shutil.rmtree(CHROOT, ignore_errors=True)
        staging.rename(CHROOT)
    return CHROOT


def test_the_same_artefact_runs_in_a_bullseye_chroot_and_finds_the_database_by_name(
    stack: Stack, bootstrap: Path, bullseye: Path, tmp_path
) -> None:
    libc = sorted((bullseye / "lib/x86_64-linux-gnu").glob("libc-2.*.so"))
    assert libc and libc[0].name == "libc-2.31.so"
    task = bullseye / "var/task"
    task.mkdir(parents=True, exist_ok=True)
    shutil.copy2(bootstrap, task / "bootstrap")
    (bullseye / "etc/hosts").write_text("127.0.0.1 localhost\n127.0.0.1 cakap-db.internal\n")
    emulator = runtime.start()
    env = {**stack.db_env, "DB_HOST": "cakap-db.internal"}
    # Lambda's sandbox has /proc (the Swift runtime reads it): a private mount and pid namespace
    # gives the chroot its own, removed with the namespace.
    command = [
        "/usr/bin/unshare", "--mount", "--pid", "--fork", "--kill-child", f"--mount-proc={bullseye}/proc",
        "/usr/sbin/chroot", str(bullseye), "/var/task/bootstrap",
    ]  # fmt: skip
    process = start_function(command, emulator, env, tmp_path / "chroot.log")
    try:
        deadline = time.monotonic() + 30
        while emulator.next_calls == 0:
            assert process.poll() is None, (tmp_path / "chroot.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the bootstrap did not reach invocation/next in the chroot"
            time.sleep(0.1)
        exercise_every_route(emulator)
    finally:
        process.kill()
        emulator.stop()


def test_the_owner_function_creates_the_role_the_conversations_function_runs_as(stack: Stack, bootstrap: Path, tmp_path) -> None:
    """Issue 19: lks-fn-db-owner (CAKAP_FUNCTION=owner, master credentials) invoked through the Runtime API
    answers {"schema":"current","role":"cakap_fn"} after making the schema, the vector index of every
    function's model (CAKAP_OWNER_EMBED_MODELS) and the role; the conversations function logging in as
    cakap_fn with the 768-dimension model then starts, saves and lists, and the role cannot CREATE TABLE.
    A second invocation applies a rotated password. Without the owner function the bootstrap refuses
    CAKAP_FUNCTION=owner at init; without its index the cakap_fn function cannot prepare its schema."""
    import json

    from test_conversations_database import psql, psql_as

    psql(stack, "DROP INDEX IF EXISTS conversations_embedding_hnsw_768")  # so only the owner can make it
    first, rotated = "fn-" + uuid.uuid4().hex, "fn-" + uuid.uuid4().hex
    owner_env = {**stack.db_env, "CAKAP_FUNCTION": "owner", "DB_APP_USER": "cakap_fn", "DB_APP_PASSWORD": first,
                 "CAKAP_EMBED_MODEL": "nomic-embed-text", "CAKAP_OWNER_EMBED_MODELS": "nomic-embed-text,all-minilm"}  # fmt: skip
    emulator = runtime.start()
    owner = start_function([str(bootstrap)], emulator, owner_env, tmp_path / "owner.log")
    try:
        outcome = emulator.invoke({})
        assert outcome.kind == "response", (outcome, (tmp_path / "owner.log").read_text()[-2000:])
        assert outcome.body == {"schema": "current", "role": "cakap_fn"}
    finally:
        owner.kill()
        emulator.stop()
    assert psql(stack, "SELECT count(*) FROM pg_indexes WHERE indexname = 'conversations_embedding_hnsw_768'") == "1"
    function_env = {**stack.db_env, "DB_USER": "cakap_fn", "DB_PASSWORD": first, "CAKAP_EMBED_MODEL": "nomic-embed-text"}
    emulator = runtime.start()
    function = start_function([str(bootstrap)], emulator, function_env, tmp_path / "fn.log")
    try:
        sub = str(uuid.uuid4())
        body = {"id": str(uuid.uuid4()), "title": "as cakap_fn", "conversation": [{"role": "user", "content": "I has a cat"}]}
        created = emulator.invoke(runtime.proxy_event("POST", f"/conversations/{sub}", sub, body))
        assert created.kind == "response" and created.body["statusCode"] == 201, (created, (tmp_path / "fn.log").read_text()[-2000:])
        listed = emulator.invoke(runtime.proxy_event("GET", f"/conversations/{sub}", sub))
        assert [item["title"] for item in json.loads(listed.body["body"])["items"]] == ["as cakap_fn"]
    finally:
        function.kill()
        emulator.stop()
    probe = psql_as(stack, "cakap_fn", first, "CREATE TABLE cakap_fn_lambda_probe (a int)")
    assert probe.returncode != 0 and "denied" in probe.stderr, probe.stdout + probe.stderr
    # A rotated secret: the next invocation (deploy runs it again) sets the new password.
    emulator = runtime.start()
    owner = start_function([str(bootstrap)], emulator, {**owner_env, "DB_APP_PASSWORD": rotated}, tmp_path / "owner2.log")
    try:
        assert emulator.invoke({}).body == {"schema": "current", "role": "cakap_fn"}
    finally:
        owner.kill()
        emulator.stop()
    assert psql_as(stack, "cakap_fn", rotated, "SELECT count(*) >= 1 FROM conversations").stdout.strip() == "t"
    assert psql_as(stack, "cakap_fn", first, "SELECT 1").returncode != 0
