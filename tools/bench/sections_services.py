"""Sections `conversations` (list/get/put at a fixed rate; nearest neighbours over many vectors)
and `tutor` (feedback latency per message with the default local model)."""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid

from environment import psql_binary, sign_in
from loadgen import fixed_rate
from processes import BenchError, free_port, http
from sections_generation import MemorySampler
from stats import Spread, percentile


def start_identity(bench, name: str) -> tuple[str, object]:
    port = free_port()
    identity = bench.folder / f"identity-{name}"
    edge = bench.services.start(f"edge-{name}", [bench.cakap, "edge", "--port", str(port), "--data", str(identity)])
    url = f"http://127.0.0.1:{port}"
    edge.wait_http(url + "/healthz")
    return url, identity


def psql(bench, port: int, password: str, sql: str, timeout: float = 60) -> str:
    result = subprocess.run([psql_binary(), "-h", "127.0.0.1", "-p", str(port), "-U", "cakap", "-d", "postgres", "-At", "-c", sql],
                            capture_output=True, text=True, env={**os.environ, "PGPASSWORD": password}, timeout=timeout)
    if result.returncode != 0:
        raise BenchError(f"psql: {result.stderr}")
    return result.stdout.strip()


def run_conversations(bench) -> dict:
    services, cakap = bench.services, bench.cakap
    edge_url, identity = start_identity(bench, "conversations")
    pg_port, worker_port, service_port = free_port(), free_port(), free_port()
    data = bench.folder / "pgdata"
    postgres = services.start("postgres", [cakap, "postgres", "--data", str(data), "--port", str(pg_port)])
    postgres.wait_until(lambda: "postgres ready" in postgres.log_path.read_text(errors="replace"), "postgres ready", 90)
    password = (bench.folder / "pgdata.password").read_text().strip()
    embedder = services.start("worker-embed", [cakap, "worker", "--host", "127.0.0.1", "--port", str(worker_port)], env={
        "CAKAP_NUM_THREADS": str(bench.options.threads), "CAKAP_KEEP_ALIVE": "-1", "CAKAP_LOG_DIR": str(bench.folder)})
    embedder.wait_http(f"http://127.0.0.1:{worker_port}/")
    service_url = f"http://127.0.0.1:{service_port}"
    service = services.start("conversations", [cakap, "conversations", "--port", str(service_port), "--edge", edge_url], env={
        "DB_HOST": "127.0.0.1", "DB_PORT": str(pg_port), "DB_USER": "cakap", "DB_PASSWORD": password, "DB_NAME": "postgres",
        "DB_SSLMODE": "disable", "CAKAP_EMBED_URLS": f"http://127.0.0.1:{worker_port}"})  # fmt: skip
    service.wait_http(service_url + "/healthz")
    sub, token = sign_in(cakap, edge_url, identity)
    headers = {"Authorization": f"Bearer {token}"}
    root = f"{service_url}/conversations/{sub}"
    ids = []
    for index in range(50):
        body = {"id": str(uuid.uuid4()), "title": f"Conversation {index}", "conversation": [
            {"role": "assistant", "content": "What did you do today?"},
            {"role": "user", "content": f"Today I went to the market number {index} and bought rice"}]}
        status, answer = http("POST", root, body, headers)
        if status != 201:
            raise BenchError(f"POST conversation: {status} {answer[:200]!r}")
        ids.append(body["id"])
    time.sleep(1)
    bench.memory_idle.update({k: v for k, v in services.memory().items() if k.startswith(("postgres", "conversations", "worker-embed"))})

    rate, seconds = bench.options.conversation_rate, bench.scale(full=5, quick=1)
    operations = {
        "list": ("GET", root + "?limit=20", None),
        "get": ("GET", f"{root}/{ids[0]}", None),
        "put": ("PUT", f"{root}/{ids[1]}", json.dumps({"title": "Renamed"}).encode()),
    }
    rows: dict = {name: {"p50": [], "p99": [], "errors": 0} for name in operations}
    with MemorySampler(services) as sampler:
        for _ in range(bench.runs):
            for name, (method, url, body) in operations.items():
                result = fixed_rate(url, rate, seconds, connections=32, headers=headers, method=method, body=body)
                rows[name]["p50"].append(percentile(result.latencies_ms, 50))
                rows[name]["p99"].append(percentile(result.latencies_ms, 99))
                rows[name]["errors"] += result.errors
    bench.memory_loaded.update({k: v for k, v in sampler.peak.items() if k.startswith(("postgres", "conversations", "worker-embed"))})
    result: dict = {"rate": rate, "seconds_per_run": seconds, "operations": {
        name: {"p50_ms": Spread.of(r["p50"]).as_dict(), "p99_ms": Spread.of(r["p99"]).as_dict(), "errors": r["errors"]}
        for name, r in rows.items()}}  # fmt: skip

    # Nearest neighbours: bulk-load synthetic 384-d vectors for the same owner without the index,
    # build it once (as a migration on a full table would), then query /similar over HTTP.
    vectors = bench.scale(full=100_000, quick=3_000)
    psql(bench, pg_port, password, "DROP INDEX conversations_embedding_hnsw_384")
    started = time.perf_counter()
    psql(bench, pg_port, password, f"""
        INSERT INTO conversations (uid, id, title, conversation, embedding, embedding_model, embedding_dim)
        SELECT '{sub}', gen_random_uuid(), 'synthetic ' || n, '[]'::jsonb,
               (SELECT array_agg(random() - 0.5)::real[] FROM generate_series(1, 384) WHERE n > 0)::vector,
               'all-minilm', 384
        FROM generate_series(1, {vectors}) AS n""", timeout=1800)
    result["insert_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    psql(bench, pg_port, password, "SET maintenance_work_mem = '512MB'; CREATE INDEX conversations_embedding_hnsw_384 ON conversations "
         "USING hnsw ((embedding::vector(384)) vector_cosine_ops) WHERE embedding_dim = 384", timeout=1800)
    result["index_seconds"] = time.perf_counter() - started
    psql(bench, pg_port, password, "ANALYZE conversations")
    result["vectors"] = int(psql(bench, pg_port, password, f"SELECT count(*) FROM conversations WHERE uid = '{sub}' AND embedding IS NOT NULL"))
    queries = bench.scale(full=100, quick=20)
    p50s, p95s = [], []
    for run in range(bench.runs):
        latencies = []
        for index in range(queries):
            began = time.perf_counter()
            status, answer = http("GET", f"{root}/{ids[(run * queries + index) % len(ids)]}/similar?k=5", headers=headers)
            latencies.append((time.perf_counter() - began) * 1000)
            if status != 200 or len(json.loads(answer)["items"]) != 5:
                raise BenchError(f"/similar: {status} {answer[:200]!r}")
        p50s.append(percentile(latencies, 50))
        p95s.append(percentile(latencies, 95))
    result["similar"] = {"queries_per_run": queries, "p50_ms": Spread.of(p50s).as_dict(), "p95_ms": Spread.of(p95s).as_dict()}
    return result


MESSAGES = [
    "Yesterday I goes to the market and buyed three mango.",
    "She don't like to eat vegetable because it is not delicious.",
    "I am study English since two years ago.",
    "My friend and me was playing football in the park yesterday.",
    "He have a lot of homeworks to do tonight.",
    "We was very happy when we arrive at the beach.",
    "I want to buy a new shoes for my brother birthday.",
    "There is many people in the mall on the weekend.",
]


def run_tutor(bench) -> dict:
    services, cakap = bench.services, bench.cakap
    edge_url, identity = start_identity(bench, "tutor")
    worker_port, tutor_port = free_port(), free_port()
    worker = services.start("worker-tutor", [cakap, "worker", "--host", "127.0.0.1", "--port", str(worker_port)], env={
        "CAKAP_NUM_THREADS": str(bench.options.threads), "CAKAP_KEEP_ALIVE": "-1", "CAKAP_LOG_DIR": str(bench.folder)})
    worker.wait_http(f"http://127.0.0.1:{worker_port}/")
    tutor_url = f"http://127.0.0.1:{tutor_port}"
    tutor = services.start("tutor", [cakap, "tutor", "--port", str(tutor_port), "--llm", f"http://127.0.0.1:{worker_port}",
                                     "--edge", edge_url])
    tutor.wait_http(tutor_url + "/healthz")
    _, token = sign_in(cakap, edge_url, identity)
    headers = {"Authorization": f"Bearer {token}"}

    def feedback(text: str) -> float:
        began = time.perf_counter()
        status, answer = http("POST", tutor_url + "/tutor/feedback", {"text": text, "lang": "en"}, headers, timeout=120)
        if status != 200:
            raise BenchError(f"/tutor/feedback: {status} {answer[:200]!r}")
        return time.perf_counter() - began

    feedback("I has a cat.")  # loads the model
    time.sleep(1)
    bench.memory_idle.update({k: v for k, v in services.memory().items() if k.startswith(("tutor", "worker-tutor"))})
    per_run = bench.scale(full=3, quick=1)
    p50s, p95s, every = [], [], []
    with MemorySampler(services) as sampler:
        for run in range(bench.runs):
            latencies = [feedback(MESSAGES[(run * per_run + index) % len(MESSAGES)]) * 1000 for index in range(per_run)]
            every += latencies
            p50s.append(percentile(latencies, 50))
            p95s.append(percentile(latencies, 95))
    bench.memory_loaded.update({k: v for k, v in sampler.peak.items() if k.startswith(("tutor", "worker-tutor"))})
    return {"model": "gemma3:270m (the tutor's default)", "messages_per_run": per_run, "p50_ms": Spread.of(p50s).as_dict(),
            "p95_ms": Spread.of(p95s).as_dict(), "all_messages": {"count": len(every), "p50_ms": percentile(every, 50),
                                                                   "p95_ms": percentile(every, 95)}}


def conversations_section(bench) -> None:
    try:
        bench.section("conversations", lambda: run_conversations(bench))
    finally:
        bench.services.stop_all()


def tutor_section(bench) -> None:
    try:
        bench.section("tutor", lambda: run_tutor(bench))
    finally:
        bench.services.stop_all()
