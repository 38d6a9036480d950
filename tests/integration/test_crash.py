"""The engine (`llama-server`) dies in the middle of a stream.

Proves the streaming error rule of R-LLM-6 (Ollama semantics, STYLE principle 5): once a
stream has begun, the status stays 200 and the failure arrives as one final NDJSON object
with an "error" key; the worker then recovers and the next request succeeds.
"""

from __future__ import annotations

import json
import os
import signal

import pytest
import requests
from conftest import CHAT_MODEL

LONG_REPLY = {
    "model": CHAT_MODEL,
    "messages": [{"role": "user", "content": "Count from 1 to 500, one number per line."}],
    "options": {"num_predict": 1000, "temperature": 0},
}


def chat_once(worker) -> requests.Response:
    body = {
        "model": CHAT_MODEL,
        "messages": [{"role": "user", "content": "Hi"}],
        "stream": False,
        "options": {"num_predict": 8},
    }
    return worker.post("/api/chat", json=body, timeout=(5, 60))


def test_engine_killed_mid_stream_ends_with_an_error_line(worker_factory):
    """R-LLM-6: SIGKILL of llama-server during a chat stream → HTTP 200 stream whose last line is
    `{"error": ...}`; the next request succeeds on a new engine."""
    worker = worker_factory()
    warm = chat_once(worker)
    assert warm.status_code == 200, warm.text
    engines = worker.llama_servers()
    assert engines, "no llama-server child of the worker after a chat"

    lines = []
    with worker.post("/api/chat", json=LONG_REPLY, stream=True, timeout=(5, 30)) as response:
        assert response.status_code == 200
        stream = response.iter_lines()
        try:
            first = next(line for line in stream if line.strip())
            lines.append(json.loads(first))
            assert lines[0].get("done") is False, f"stream ended before the kill: {lines[0]}"
            for pid in worker.llama_servers():
                os.kill(pid, signal.SIGKILL)
            lines.extend(json.loads(line) for line in stream if line.strip())
        except requests.exceptions.ChunkedEncodingError as error:
            pytest.fail(f"stream cut without a final error line after {len(lines)} lines: {error}")
        except requests.exceptions.ConnectionError as error:
            pytest.fail(f"stream hung or cut after the engine died ({len(lines)} lines): {error}")
    assert response.status_code == 200
    final = lines[-1]
    assert not any(line.get("done") for line in lines), "the stream finished before the engine died"
    assert isinstance(final.get("error"), str) and final["error"], f"last line has no error: {final}"
    assert all("error" not in line for line in lines[:-1])

    assert worker.process.poll() is None, "the worker died with its engine"
    after = chat_once(worker)
    assert after.status_code == 200, after.text
    assert after.json()["done"] is True
    restarted = worker.llama_servers()
    assert restarted and not set(restarted) & set(engines), (engines, restarted)
