#!/usr/bin/env python3
"""Measures the conversations API on the real local stack (issue 4's note; `cakap bench` will
take this over): p50/p99 of list and get at a fixed request rate, and nearest-neighbour query
time over N stored vectors (one owner, so the HNSW index path is taken).

    CAKAP_BIN=.build/release/cakap python tools/measure_conversations.py [--rate 200] [--seconds 20] [--vectors 100000]

Run with the tests/conversations virtual environment (boto3, requests). Timings are client-side.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "conversations"))
import requests  # noqa: E402
from conftest import Stack  # noqa: E402
from test_conversations_database import psql  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def fixed_rate(url: str, headers: dict, rate: int, seconds: int, workers: int = 32) -> dict:
    """Open-loop: request i is due at start + i/rate; latency counts from when it was due."""
    total = rate * seconds
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    start = time.perf_counter() + 0.5
    next_index = [0]

    def worker() -> None:
        nonlocal errors
        session = requests.Session()
        session.trust_env = False
        while True:
            with lock:
                index = next_index[0]
                next_index[0] += 1
            if index >= total:
                return
            due = start + index / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            response = session.get(url, headers=headers, timeout=10)
            elapsed = time.perf_counter() - due
            with lock:
                latencies.append(elapsed * 1000)
                if response.status_code != 200:
                    errors += 1

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "requests": total, "errors": errors, "p50_ms": round(percentile(latencies, 50), 2),
        "p99_ms": round(percentile(latencies, 99), 2), "max_ms": round(max(latencies), 2),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--vectors", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    options = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="cakap-measure-", dir="/tmp"))
    folder.chmod(0o755)
    stack = Stack(folder)
    results: dict = {"rate": options.rate, "seconds": options.seconds}
    try:
        stack.start()
        user = stack.register("bench")
        http = requests.Session()
        http.trust_env = False
        root = f"{stack.service}/conversations/{user.sub}"
        ids = []
        for index in range(50):
            body = {"id": str(uuid.uuid4()), "title": f"Conversation {index}", "conversation": [
                {"role": "assistant", "content": "What did you do today?"},
                {"role": "user", "content": f"Today I went to the market number {index} and bought rice"}]}
            assert http.post(root, json=body, headers=user.headers).status_code == 201
            ids.append(body["id"])
        results["list"] = fixed_rate(root + "?limit=20", user.headers, options.rate, options.seconds)
        results["get"] = fixed_rate(f"{root}/{ids[0]}", user.headers, options.rate, options.seconds)

        print(json.dumps(results), flush=True)
        # Bulk load without the index, then build it once (as a migration on a full table would).
        psql(stack, "DROP INDEX conversations_embedding_hnsw_384")
        started = time.perf_counter()
        psql(stack, f"""
            INSERT INTO conversations (uid, id, title, conversation, embedding, embedding_model, embedding_dim)
            SELECT '{user.sub}', gen_random_uuid(), 'synthetic ' || n, '[]'::jsonb,
                   (SELECT array_agg(random() - 0.5)::real[] FROM generate_series(1, 384) WHERE n > 0)::vector,
                   'all-minilm', 384
            FROM generate_series(1, {options.vectors}) AS n""", timeout=1800)
        results["insert_vectors_s"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        psql(stack, "SET maintenance_work_mem = '512MB'; " + """CREATE INDEX conversations_embedding_hnsw_384 ON conversations
            USING hnsw ((embedding::vector(384)) vector_cosine_ops) WHERE embedding_dim = 384""", timeout=3600)
        results["build_hnsw_s"] = round(time.perf_counter() - started, 1)
        psql(stack, "ANALYZE conversations")
        results["vectors"] = int(psql(stack, f"SELECT count(*) FROM conversations WHERE uid = '{user.sub}' AND embedding IS NOT NULL"))
        latencies = []
        for index in range(options.queries):
            began = time.perf_counter()
            answer = http.get(f"{root}/{ids[index % len(ids)]}/similar", params={"k": 5}, headers=user.headers)
            latencies.append((time.perf_counter() - began) * 1000)
            assert answer.status_code == 200 and len(answer.json()["items"]) == 5, answer.text
        results["similar_http"] = {
            "queries": options.queries, "p50_ms": round(percentile(latencies, 50), 2),
            "p95_ms": round(percentile(latencies, 95), 2), "max_ms": round(max(latencies), 2),
        }  # fmt: skip
        plan = psql(stack, f"""EXPLAIN (ANALYZE, FORMAT JSON) SELECT id FROM conversations
            WHERE embedding_dim = 384 AND uid = '{user.sub}' AND embedding_model = 'all-minilm'
            ORDER BY embedding::vector(384) <=> (SELECT embedding FROM conversations WHERE uid = '{user.sub}' AND id = '{ids[0]}')::vector(384)
            LIMIT 5""")
        parsed = json.loads(plan)[0]
        results["similar_sql"] = {"execution_ms": parsed["Execution Time"], "uses_hnsw": "conversations_embedding_hnsw_384" in plan}
    finally:
        stack.stop()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
