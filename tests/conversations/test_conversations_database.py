"""The service and its database: migrations safe to repeat and to run from several instances at
once (R-DB-2), and a database stopped and restarted under a running service (503s, then recovery
without restarting the service)."""

from __future__ import annotations

import subprocess
import time
import uuid

import pytest
from conftest import Stack, User, free_ports

PSQL_MIRROR = "/var/lib/cakap/pgserver-0.1.4/pgserver/pginstall/bin/psql"


def psql(stack: Stack, sql: str, timeout: float = 30) -> str:
    import os

    from conftest import CAKAP_HOME

    binary = PSQL_MIRROR if os.geteuid() == 0 else str(CAKAP_HOME / "engines/postgres-pgserver-0.1.4/pgserver/pginstall/bin/psql")
    env = {**os.environ, "PGPASSWORD": stack.db_env["DB_PASSWORD"]}
    result = subprocess.run(
        [binary, "-h", "127.0.0.1", "-p", str(stack.pg_port), "-U", "cakap", "-d", "postgres", "-At", "-c", sql],
        capture_output=True, text=True, env=env, timeout=timeout,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_migrations_are_recorded_once_with_the_extension_and_indexes(stack: Stack) -> None:
    assert psql(stack, "SELECT extname FROM pg_extension WHERE extname = 'vector'") == "vector"
    assert psql(stack, "SELECT version FROM cakap_schema_migrations") == "1"
    indexes = psql(stack, "SELECT indexname FROM pg_indexes WHERE tablename = 'conversations' ORDER BY 1")
    assert "conversations_embedding_hnsw_384" in indexes.split()
    definition = psql(stack, "SELECT indexdef FROM pg_indexes WHERE indexname = 'conversations_embedding_hnsw_384'")
    assert "hnsw" in definition and "vector_cosine_ops" in definition


def test_several_instances_starting_at_once_share_one_schema(stack: Stack) -> None:
    ports = free_ports(3)
    extra = [stack.conversations_process(port, name=f"conversations-extra-{port}") for port in ports]
    try:
        for process in extra:
            process.start()
        for process, port in zip(extra, ports):
            process.wait_http(f"http://127.0.0.1:{port}/healthz", timeout=60)
        assert psql(stack, "SELECT count(*) FROM cakap_schema_migrations") == "1"
    finally:
        for process in extra:
            process.stop()


def test_a_restarted_database_gives_503s_then_the_same_service_recovers(stack: Stack, alice: User, http) -> None:
    root = f"{stack.service}/conversations/{alice.sub}"
    body = {"id": str(uuid.uuid4()), "title": "before the outage", "conversation": []}
    assert http.post(root, json=body, headers=alice.headers).status_code == 201
    service = stack.services[0]

    stack.postgres.stop()  # SIGTERM: cakap postgres shuts PostgreSQL down
    started = time.monotonic()
    down = http.get(root, headers=alice.headers, timeout=30)
    assert down.status_code == 503, down.text
    assert time.monotonic() - started < 10  # bounded: the store gives up after 5 s
    assert "request" in down.json()["error"] and "SQLSTATE" not in down.text and "PSQL" not in down.text
    assert down.headers.get("Retry-After")

    stack.start_postgres()
    deadline = time.monotonic() + 30
    while True:
        answer = http.get(f"{root}/{body['id']}", headers=alice.headers, timeout=30)
        if answer.status_code == 200:
            break
        assert answer.status_code == 503, answer.text
        assert time.monotonic() < deadline, "the service did not recover within 30 s"
        time.sleep(0.5)
    assert answer.json()["title"] == "before the outage"  # nothing was lost
    assert service.process.poll() is None  # the same process
    http.delete(root, headers=alice.headers)


def test_similar_over_thousands_of_vectors_uses_the_hnsw_index_and_agrees_with_an_exact_scan(
    stack: Stack, bob: User, http
) -> None:
    """Above 2,000 vectors an owner's neighbours come from the HNSW index (cosine); its answer
    must match an exact scan's (R-APP-8)."""
    root = f"{stack.service}/conversations/{bob.sub}"
    seed = {"id": str(uuid.uuid4()), "title": "seed", "conversation": [{"role": "user", "content": "I like to swim"}]}
    assert http.post(root, json=seed, headers=bob.headers).status_code == 201
    psql(stack, f"""
        INSERT INTO conversations (uid, id, title, conversation, embedding, embedding_model, embedding_dim)
        SELECT '{bob.sub}', gen_random_uuid(), 'synthetic ' || n, '[]'::jsonb,
               (SELECT array_agg(random() - 0.5)::real[] FROM generate_series(1, 384) WHERE n > 0)::vector,
               'all-minilm', 384
        FROM generate_series(1, 2500) AS n""", timeout=300)
    psql(stack, "ANALYZE conversations")  # as autovacuum would after a bulk load; the planner needs the counts
    answer = http.get(f"{root}/{seed['id']}/similar", params={"k": 5}, headers=bob.headers)
    assert answer.status_code == 200, answer.text
    found = [item["id"] for item in answer.json()["items"]]
    exact = psql(stack, f"""
        SELECT id FROM conversations WHERE uid = '{bob.sub}' AND id <> '{seed['id']}' AND embedding_model = 'all-minilm'
        ORDER BY embedding <=> (SELECT embedding FROM conversations WHERE uid = '{bob.sub}' AND id = '{seed['id']}')
        LIMIT 5""").split()
    assert len(found) == 5
    assert len(set(found) & set(exact)) >= 4, (found, exact)  # approximate search: at most one miss in five
    plan = psql(stack, f"""
        EXPLAIN SELECT id FROM conversations WHERE embedding_dim = 384 AND uid = '{bob.sub}'
        AND embedding_model = 'all-minilm' ORDER BY embedding::vector(384) <=> (SELECT embedding FROM conversations
        WHERE uid = '{bob.sub}' AND id = '{seed['id']}')::vector(384) LIMIT 5""")
    assert "conversations_embedding_hnsw_384" in plan
    assert http.delete(root, headers=bob.headers).json()["deleted"] == 2501


def psql_as(stack: Stack, user: str, password: str, sql: str) -> subprocess.CompletedProcess:
    import os

    from conftest import CAKAP_HOME

    binary = PSQL_MIRROR if os.geteuid() == 0 else str(CAKAP_HOME / "engines/postgres-pgserver-0.1.4/pgserver/pginstall/bin/psql")
    return subprocess.run(
        [binary, "-h", "127.0.0.1", "-p", str(stack.pg_port), "-U", user, "-d", "postgres", "-At", "-c", sql],
        capture_output=True, text=True, env={**os.environ, "PGPASSWORD": password}, timeout=30,
    )  # fmt: skip


def test_the_functions_run_as_a_least_privilege_role(stack: Stack, alice: User, http) -> None:
    """R-DB-3, issue 19: the owner's run with DB_APP_USER / DB_APP_PASSWORD creates the role
    `cakap_fn`; a service connecting as `cakap_fn` starts (it needs no DDL once the schema is
    there), stores and reads a conversation, and the role can neither drop, alter nor create a
    table. Before the fix there was no such role: the functions ran as the master account."""
    password = "fn-" + uuid.uuid4().hex
    owner_port, function_port = free_ports(2)
    owner = stack.conversations_process(owner_port, name="conversations-owner", embed=False)
    owner.env = {**owner.env, "DB_APP_USER": "cakap_fn", "DB_APP_PASSWORD": password}
    owner.start()
    try:
        owner.wait_http(f"http://127.0.0.1:{owner_port}/healthz", timeout=60)
    finally:
        owner.stop()
    function = stack.conversations_process(function_port, name="conversations-fn", embed=False)
    function.env = {**function.env, "DB_USER": "cakap_fn", "DB_PASSWORD": password}
    function.start()
    try:
        function.wait_http(f"http://127.0.0.1:{function_port}/healthz", timeout=60)
        root = f"http://127.0.0.1:{function_port}/conversations/{alice.sub}"
        body = {"id": str(uuid.uuid4()), "title": "as the function role", "conversation": []}
        assert http.post(root, json=body, headers=alice.headers).status_code == 201
        assert http.get(f"{root}/{body['id']}", headers=alice.headers).json()["title"] == "as the function role"
    finally:
        function.stop()
    for statement in ("DROP TABLE conversations", "ALTER TABLE conversations ADD COLUMN x int",
                      "CREATE TABLE cakap_fn_probe (a int)", "TRUNCATE conversations"):  # fmt: skip
        result = psql_as(stack, "cakap_fn", password, statement)
        refused = "denied" in result.stderr or "must be owner" in result.stderr
        assert result.returncode != 0 and refused, f"{statement}: {result.stdout}{result.stderr}"
    assert psql(stack, "SELECT rolsuper OR rolcreaterole OR rolcreatedb FROM pg_roles WHERE rolname = 'cakap_fn'") == "f"
