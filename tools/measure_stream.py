#!/usr/bin/env python3
"""Streaming throughput through `cakap worker` and directly from `llama-server`, same model,
threads, slots and prompt, measured from the client side in one run (issue 2's note; the full
benchmark suite is `cakap bench`, issue 8).

For each of --runs rounds (alternating which goes first) it streams one completion of
--tokens tokens at temperature 0 and records time to first token and decode tokens/s
(tokens after the first ÷ time from the first to the last token). Prints min/median/max and
the ratio worker/engine of the medians.

    tools/measure_stream.py --cakap .build/release/cakap --llama-server $CAKAP_HOME/engines/.../llama-server \
        --model-path $CAKAP_HOME/models/blobs/sha256-… --model smollm2:135m
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

PROMPT = "Write a short story about a cat who learns to speak English. Use simple words."


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not become ready")


def post(url: str, body: dict):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    return urllib.request.urlopen(request, timeout=300)


def stream_worker(base: str, model: str, tokens: int) -> tuple[float, float, int]:
    start = time.perf_counter()
    first = last = None
    count = 0
    body = {"model": model, "messages": [{"role": "user", "content": PROMPT}],
            "options": {"num_predict": tokens, "temperature": 0, "seed": 1}}
    with post(base + "/api/chat", body) as response:
        for line in response:
            item = json.loads(line)
            if item.get("done"):
                count = item["eval_count"]
                break
            if item["message"]["content"]:
                now = time.perf_counter()
                first = first or now
                last = now
    return first - start, (count - 1) / (last - first), count


def stream_engine(base: str, prompt: str, tokens: int) -> tuple[float, float, int]:
    start = time.perf_counter()
    first = last = None
    count = 0
    body = {"prompt": prompt, "stream": True, "n_predict": tokens, "temperature": 0, "seed": 1, "cache_prompt": True}
    with post(base + "/completion", body) as response:
        for raw in response:
            line = raw.decode().strip()
            if not line.startswith("data:"):
                continue
            item = json.loads(line[5:])
            if item.get("stop"):
                count = item["timings"]["predicted_n"]
                break
            if item.get("content"):
                now = time.perf_counter()
                first = first or now
                last = now
    return first - start, (count - 1) / (last - first), count


def summary(values: list[float]) -> str:
    return f"min {min(values):.1f}  median {statistics.median(values):.1f}  max {max(values):.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cakap", required=True)
    parser.add_argument("--llama-server", required=True)
    parser.add_argument("--model-path", required=True, help="the GGUF blob the worker's model resolves to")
    parser.add_argument("--model", default="smollm2:135m")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--context", type=int, default=2048, help="per slot")
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    logs = tempfile.mkdtemp(prefix="measure-stream-")
    engine_port, worker_port = free_port(), free_port()
    engine = subprocess.Popen(
        [args.llama_server, "--model", args.model_path, "--host", "127.0.0.1", "--port", str(engine_port),
         "--parallel", str(args.parallel), "--ctx-size", str(args.context * args.parallel),
         "--threads", str(args.threads), "--no-webui", "--jinja"],
        stdout=open(f"{logs}/engine.log", "w"), stderr=subprocess.STDOUT)
    environment = dict(os.environ, CAKAP_NUM_THREADS=str(args.threads), CAKAP_NUM_PARALLEL=str(args.parallel),
                       CAKAP_CONTEXT_LENGTH=str(args.context), CAKAP_LOG_DIR=logs)
    worker = subprocess.Popen([args.cakap, "worker", "--port", str(worker_port)], env=environment,
                              stdout=open(f"{logs}/worker.log", "w"), stderr=subprocess.STDOUT)
    try:
        engine_url, worker_url = f"http://127.0.0.1:{engine_port}", f"http://127.0.0.1:{worker_port}"
        wait_http(engine_url + "/health")
        wait_http(worker_url + "/")
        with post(engine_url + "/apply-template", {"messages": [{"role": "user", "content": PROMPT}]}) as r:
            prompt = json.load(r)["prompt"]
        # Warm both (model load, prompt cache) outside the measurement. The two engines run one at
        # a time: on 2 cores two busy engines would starve each other.
        stream_worker(worker_url, args.model, 8)
        stream_engine(engine_url, prompt, 8)
        results = {"worker": [], "engine": []}
        for run in range(args.runs):
            order = ["worker", "engine"] if run % 2 == 0 else ["engine", "worker"]
            for name in order:
                if name == "worker":
                    results[name].append(stream_worker(worker_url, args.model, args.tokens))
                else:
                    results[name].append(stream_engine(engine_url, prompt, args.tokens))
        print(f"model {args.model}, threads {args.threads}, slots {args.parallel}, {args.tokens} tokens, {args.runs} runs")
        for name, rows in results.items():
            print(f"{name:7} decode tokens/s: {summary([r[1] for r in rows])}   "
                  f"TTFT ms: {summary([r[0] * 1000 for r in rows])}   tokens: {[r[2] for r in rows]}")
        ratio = statistics.median(r[1] for r in results["worker"]) / statistics.median(r[1] for r in results["engine"])
        print(f"ratio worker/engine (median decode tokens/s): {ratio:.3f}")
    finally:
        for process in (worker, engine):
            process.terminate()
        for process in (worker, engine):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    sys.exit(main())
