"""Sections `stream` and `concurrency`: `cakap worker` against `llama-server` alone, same model,
threads, slots and prompt, one engine busy at a time (on 2 cores two busy engines would starve
each other)."""

from __future__ import annotations

import json
import threading
import time

from environment import llama_server, model_blob
from loadgen import concurrent_streams, stream
from processes import BenchError, free_port, http
from stats import Spread, percentile

PROMPT = "Write a short story about a cat who learns to speak English. Use simple words."


class GenerationPair:
    """A worker and a bare llama-server with the same settings; `chat`/`complete` stream one answer."""

    def __init__(self, bench, model: str, threads: int, parallel: int, context: int) -> None:
        self.bench, self.model = bench, model
        engine_port, worker_port = free_port(), free_port()
        self.engine_url, self.worker_url = f"http://127.0.0.1:{engine_port}", f"http://127.0.0.1:{worker_port}"
        services = bench.services
        self.engine = services.start("llama-server", [
            llama_server(), "--model", model_blob(model), "--host", "127.0.0.1", "--port", str(engine_port),
            "--parallel", str(parallel), "--ctx-size", str(context * parallel), "--threads", str(threads),
            "--no-webui", "--jinja"])  # fmt: skip
        self.worker = services.start("worker", [bench.cakap, "worker", "--host", "127.0.0.1", "--port", str(worker_port)], env={
            "CAKAP_NUM_THREADS": str(threads), "CAKAP_NUM_PARALLEL": str(parallel), "CAKAP_CONTEXT_LENGTH": str(context),
            "CAKAP_KEEP_ALIVE": "-1", "CAKAP_LOG_DIR": str(bench.folder)})  # fmt: skip
        self.engine.wait_http(self.engine_url + "/health")
        self.worker.wait_http(self.worker_url + "/")
        status, body = http("POST", self.engine_url + "/apply-template", {"messages": [{"role": "user", "content": PROMPT}]})
        if status != 200:
            raise BenchError(f"llama-server /apply-template: {status}")
        self.prompt = json.loads(body)["prompt"]
        self.chat(8)  # model load and prompt cache, outside the measurement
        self.complete(8)

    def chat(self, tokens: int, url: str | None = None, headers: dict | None = None):
        body = {"model": self.model, "messages": [{"role": "user", "content": PROMPT}],
                "options": {"num_predict": tokens, "temperature": 0, "seed": 1}}
        return stream(url or self.worker_url + "/api/chat", body, headers)

    def complete(self, tokens: int):
        body = {"prompt": self.prompt, "stream": True, "n_predict": tokens, "temperature": 0, "seed": 1, "cache_prompt": True}
        return stream(self.engine_url + "/completion", body, sse=True)


def run_stream(bench, pair: GenerationPair) -> dict:
    """Single-stream decode tokens/s and TTFT, alternating which goes first in each run."""
    tokens = bench.scale(full=128, quick=16)
    rows: dict[str, list] = {"worker": [], "engine": []}
    for run in range(bench.runs):
        for name in (["worker", "engine"] if run % 2 == 0 else ["engine", "worker"]):
            rows[name].append(pair.chat(tokens) if name == "worker" else pair.complete(tokens))
    result = {"tokens": tokens, "runs": bench.runs}
    for name, items in rows.items():
        result[name] = {
            "decode_tokens_per_second": Spread.of([r.decode_tokens_per_second for r in items]).as_dict(),
            "ttft_ms": Spread.of([r.ttft * 1000 for r in items]).as_dict(),
            "token_counts": [r.tokens for r in items],
        }  # fmt: skip
    return result


class MemorySampler:
    """Samples every service's resident memory every 0.5 s while active; keeps the maximum."""

    def __init__(self, services) -> None:
        self.services = services
        self.peak: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            for name, kib in self.services.memory().items():
                self.peak[name] = max(self.peak.get(name, 0), kib)
            self._stop.wait(0.5)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._stop.set()
        self._thread.join()


def run_concurrency(bench, pair: GenerationPair, levels: list[int]) -> dict:
    """Total tokens/s (all tokens ÷ wall time from the first request to the last token) and TTFT
    p50/p95 at each level, for the worker and the engine alone."""
    tokens = bench.scale(full=64, quick=8)
    result: dict = {"tokens_per_stream": tokens, "levels": {}}
    with MemorySampler(bench.services) as sampler:
        for level in levels:
            rows = {"worker": [], "engine": []}
            for run in range(bench.runs):
                for name in (["worker", "engine"] if run % 2 == 0 else ["engine", "worker"]):
                    request = (lambda _: pair.chat(tokens)) if name == "worker" else (lambda _: pair.complete(tokens))
                    streams, wall = concurrent_streams(level, request)
                    ttfts = [s.ttft * 1000 for s in streams]
                    rows[name].append({"total_tokens_per_second": sum(s.tokens for s in streams) / wall,
                                       "ttft_p50_ms": percentile(ttfts, 50), "ttft_p95_ms": percentile(ttfts, 95)})
            result["levels"][str(level)] = {
                name: {key: Spread.of([row[key] for row in items]).as_dict() for key in items[0]}
                for name, items in rows.items()
            }
    bench.memory_loaded.update({k: v for k, v in sampler.peak.items() if k.startswith(("worker", "llama-server"))})
    return result


def generation_sections(bench, wanted: set[str]) -> None:
    parallel = 4  # the engine-alone anchor of the issue (1.76× at 4 streams) used -np 4
    pair = GenerationPair(bench, bench.options.model, threads=bench.options.threads, parallel=parallel, context=2048)
    try:
        time.sleep(1)
        bench.memory_idle.update({k: v for k, v in bench.services.memory().items() if k.startswith(("worker", "llama-server"))})
        settings = {"model": bench.options.model, "threads": bench.options.threads, "parallel": parallel, "context_per_slot": 2048}
        if "stream" in wanted:
            bench.section("stream", lambda: {**settings, **run_stream(bench, pair)})
        if "concurrency" in wanted:
            levels = [1, 2, 4, 8]
            bench.section("concurrency", lambda: {**settings, **run_concurrency(bench, pair, levels)})
    finally:
        bench.services.stop(pair.worker)
        bench.services.stop(pair.engine)
