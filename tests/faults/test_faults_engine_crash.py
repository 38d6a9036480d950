"""A `llama-server` that crashes on start, every time: the worker answers with a clear error and
backs off (0, 1, 2, 4 … s between attempts) instead of restarting it in a tight loop.

Proves docs/architecture.md's engine lifecycle ("a crashing engine never spins") on the real
worker, and the issue-9 scenario "a llama-server that crashes on start — backoff and a clear error,
no tight loop". The unit test of the same rule is `Tests/CakapWorkerTests/WorkerSchedulingTests.swift`.
"""

from __future__ import annotations

import os
import time

from conftest import CHAT_MODEL, Processes, free_port, http_session

WATCH_SECONDS = 8.0

CRASHING_ENGINE = """#!/bin/sh
date +%s.%N >> "{starts}"
echo "error: failed to load model (the fault test's engine always crashes)" >&2
exit 1
"""


def test_an_engine_crashing_on_start_gets_backoff_and_a_clear_error(processes: Processes, setup_store, tmp_path):
    """Issue 9: a chat every 0.2 s for 8 s against a worker whose llama-server exits at once →
    every answer is a 5xx within 5 s whose `error` names llama-server (503s say when the next attempt
    is, with `Retry-After`), the engine is started at most 5 times (backoff 0, 1, 2, 4 s) although
    at least twice as many requests came, and the worker itself stays up."""
    home = tmp_path / "home"
    engine = home / "engines" / "llama.cpp-11434.0.0" / "build" / "bin" / "llama-server"
    engine.parent.mkdir(parents=True)
    starts = tmp_path / "engine-starts"
    engine.write_text(CRASHING_ENGINE.format(starts=starts))
    engine.chmod(0o755)
    port = free_port()
    worker = processes.start("worker", ["worker", "--port", str(port), "--models", str(setup_store)],
                             env={"CAKAP_HOME": str(home)})  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    worker.wait_http(url + "/")
    http = http_session()
    body = {"model": CHAT_MODEL, "messages": [{"role": "user", "content": "Hi"}], "stream": False}
    answers = []
    deadline = time.monotonic() + WATCH_SECONDS
    while time.monotonic() < deadline:
        began = time.monotonic()
        response = http.post(url + "/api/chat", json=body, timeout=(5, 30))
        answers.append((response.status_code, response.json().get("error", ""), time.monotonic() - began,
                        response.headers.get("retry-after")))  # fmt: skip
        time.sleep(0.2)
    launches = len(starts.read_text().split()) if starts.exists() else 0
    print(f"{len(answers)} requests, {launches} engine starts; statuses {sorted({a[0] for a in answers})}")
    print("first answers:", answers[:3])
    assert all(status >= 500 for status, *_ in answers), answers
    assert all("llama-server" in error for _, error, *_ in answers), answers
    assert max(seconds for _, _, seconds, _ in answers) < 5, "an answer waited for the engine"
    busy = [answer for answer in answers if answer[0] == 503]
    assert busy and all(retry for *_, retry in busy), busy[:3]
    assert any("next attempt in" in error for _, error, *_ in busy), busy[:3]
    assert 1 <= launches <= 5, f"{launches} engine starts in {WATCH_SECONDS} s: no backoff"
    assert len(answers) >= 2 * launches, (len(answers), launches)
    assert worker.process.poll() is None and http.get(url + "/api/tags", timeout=10).status_code == 200
    assert os.path.exists(engine)
