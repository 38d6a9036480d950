"""More concurrent chats than slots plus queue: the excess is refused at once, nothing hangs.

Proves R-LLM-6 under load with Ollama's semantics (OLLAMA_NUM_PARALLEL / OLLAMA_MAX_QUEUE):
with CAKAP_NUM_PARALLEL=2 and CAKAP_MAX_QUEUE=4, 8 simultaneous chats give 503
`server busy, please try again.  maximum pending requests exceeded` for the excess and
200 for the rest; every request is bounded by a timeout.
"""

from __future__ import annotations

import json
import threading
import time

from conftest import CHAT_MODEL

PARALLEL = 2
QUEUE = 4
REQUESTS = 8
BUSY = {"error": "server busy, please try again.  maximum pending requests exceeded"}


def chat_body(index: int, num_predict: int) -> dict:
    return {
        "model": CHAT_MODEL,
        "messages": [{"role": "user", "content": f"Tell me fact number {index} about the sea."}],
        "stream": False,
        "options": {"num_predict": num_predict, "temperature": 0},
    }


def test_excess_requests_get_503_and_the_rest_complete(worker_factory):
    """R-LLM-6: 8 concurrent chats on 2 slots with a queue of 4 → at most 6 answered 200, the
    others 503 with Ollama's exact body, quickly; afterwards the worker serves normally."""
    worker = worker_factory(env={"CAKAP_NUM_PARALLEL": str(PARALLEL), "CAKAP_MAX_QUEUE": str(QUEUE)})
    warm = worker.post("/api/chat", json=chat_body(0, 1), timeout=(5, 60))
    assert warm.status_code == 200, warm.text

    results: dict[int, object] = {}
    barrier = threading.Barrier(REQUESTS)

    def chat(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            started = time.monotonic()
            response = worker.post("/api/chat", json=chat_body(index, 48), timeout=(5, 90))
            results[index] = (response.status_code, response.text, time.monotonic() - started)
        except Exception as error:  # noqa: BLE001 (reported below, on the test thread)
            results[index] = error

    threads = [threading.Thread(target=chat, args=(index,)) for index in range(REQUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=150)
    assert not any(thread.is_alive() for thread in threads), "a request hung past 150 s"

    failures = {index: result for index, result in results.items() if not isinstance(result, tuple)}
    assert not failures, f"requests failed without an HTTP answer: {failures}"
    statuses = sorted(status for status, _, _ in results.values())
    ok = [(body, elapsed) for status, body, elapsed in results.values() if status == 200]
    busy = [(body, elapsed) for status, body, elapsed in results.values() if status == 503]
    assert len(ok) + len(busy) == REQUESTS, f"statuses other than 200/503: {statuses}"
    assert PARALLEL <= len(ok) <= PARALLEL + QUEUE, statuses
    assert len(busy) >= REQUESTS - PARALLEL - QUEUE, statuses
    for body, elapsed in busy:
        assert json.loads(body) == BUSY, body
        assert elapsed < 5, f"503 took {elapsed:.1f} s: refusal should not wait"
    for body, _ in ok:
        reply = json.loads(body)
        assert reply["done"] is True and isinstance(reply["message"]["content"], str), reply

    after = worker.post("/api/chat", json=chat_body(99, 4), timeout=(5, 60))
    assert after.status_code == 200, after.text
