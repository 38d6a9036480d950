"""Issue 19, MEDIUM 4 and 5: slow bodies, per-user fairness and the shared chat model.

MEDIUM 4: a request body trickled one byte every few seconds held a connection forever (only the
head had a deadline). The edge, the conversations service and the tutor now close a connection
whose body has not all arrived 20 s after its head (docs/resilience.md, "Security limits").

MEDIUM 5: one learner could hold every model slot (now at most 8 model requests at once per user at
the edge) and unload the shared chat model for everyone with `keep_alive: 0` (the edge now drops a
learner's `keep_alive`; the workers' default applies).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from urllib.parse import urlsplit

from conftest import subject
from cakap_testing.fleet_process import CHAT_MODEL

BODY_DEADLINE = 20.0
CLOSE_BOUND = BODY_DEADLINE + 12.0  # room for a loaded machine


def trickle_until_closed(url: str, path: str, token: str, results: dict[str, float | None]) -> None:
    """Sends a complete head announcing 100 bytes, then one body byte every 2 s; records the
    seconds until the server closed the connection (None: still open after CLOSE_BOUND)."""
    address = urlsplit(url)
    sock = socket.create_connection((address.hostname, address.port), timeout=5)
    sock.sendall(f"POST {path} HTTP/1.1\r\nHost: {address.netloc}\r\nAuthorization: {token}\r\n"
                 f"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{".encode())  # fmt: skip
    sock.settimeout(2)
    began = time.monotonic()
    results[url] = None
    try:
        while time.monotonic() - began < CLOSE_BOUND:
            try:
                if sock.recv(4096) == b"":
                    results[url] = time.monotonic() - began
                    return
            except TimeoutError:
                pass
            try:
                sock.send(b" ")
            except OSError:
                results[url] = time.monotonic() - began
                return
    finally:
        sock.close()


def test_a_body_trickled_byte_by_byte_is_cut(fleet, alice):
    """Issue 19 MEDIUM 4: a POST whose head is complete but whose 100-byte body comes one byte
    every 2 s, to the edge, the conversations service and the tutor at once → each closes the
    connection within BODY_DEADLINE (+ slack). Before the fix every byte restarted the idle timer
    and the connections stayed open for as long as the client kept trickling."""
    uid = subject(alice)
    targets = [(fleet.edge, f"/conversations/{uid}"), (fleet.state["conversations"].rstrip("/"), f"/conversations/{uid}"),
               (fleet.state["tutor"].rstrip("/"), "/tutor/feedback")]  # fmt: skip
    results: dict[str, float | None] = {}
    threads = [threading.Thread(target=trickle_until_closed, args=(url, path, alice.id_token, results))
               for url, path in targets]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print({url: seconds and round(seconds, 1) for url, seconds in results.items()})
    still_open = [url for url, seconds in results.items() if seconds is None]
    assert not still_open, f"still reading a trickled body after {CLOSE_BOUND} s: {still_open}"
    assert all(seconds >= BODY_DEADLINE - 1 for seconds in results.values()), results
    assert fleet.call_edge("GET", "/us-east-1/version", token=alice.id_token).status_code == 200


def loaded_models(fleet, pool: str) -> set[tuple[str, str]]:
    return {(worker["url"], model["name"]) for worker in fleet.workers("us-east-1", pool)
            for model in fleet.get(worker["url"].rstrip("/") + "/api/ps").json()["models"]}  # fmt: skip


def test_a_learner_cannot_unload_the_shared_chat_model(fleet, alice):
    """Issue 19 MEDIUM 5: `keep_alive: 0` from a learner on chat (load-only and with a message)
    and generate → the chat workers still have the chat model loaded afterwards (Ollama unloads
    it on `keep_alive: 0`, and did so here before the edge dropped a learner's keep_alive)."""
    before = loaded_models(fleet, "chat")
    assert any(name.startswith(CHAT_MODEL) for _, name in before), before
    for body in ({"model": CHAT_MODEL, "messages": [], "keep_alive": 0},
                 {"model": CHAT_MODEL, "messages": [{"role": "user", "content": "Hi"}], "stream": False,
                  "keep_alive": 0, "options": {"num_predict": 4}}):  # fmt: skip
        response = fleet.call_edge("POST", "/us-east-1/chat", token=alice.id_token, json=body)
        assert response.status_code == 200, response.text
    time.sleep(2)  # an unload is asynchronous on the worker
    after = loaded_models(fleet, "chat")
    assert before <= after, f"unloaded by a learner: {before - after}"


def open_stream(url: str, token: str, body: dict) -> socket.socket:
    """A streaming chat request sent on a raw socket whose answer is never read: it holds its
    place at the edge until the generation ends or the socket closes."""
    address = urlsplit(url)
    payload = json.dumps(body).encode()
    sock = socket.create_connection((address.hostname, address.port), timeout=5)
    sock.sendall(f"POST /us-east-1/chat HTTP/1.1\r\nHost: {address.netloc}\r\nAuthorization: {token}\r\n"
                 f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n".encode() + payload)  # fmt: skip
    return sock


def test_one_learner_cannot_hold_every_model_slot(fleet, identity, alice):
    """Issue 19 MEDIUM 5: one learner with 8 chat streams open (the edge's per-user limit) gets 429
    for a ninth model request while another learner is served; once the streams end, the first is
    served again. Before the fix only the request rate was limited, so one user's streams could
    take every slot of the workers."""
    greedy = identity.register("greedy")
    body = {"model": CHAT_MODEL, "messages": [{"role": "user", "content": "Tell me a long story about a cat."}],
            "options": {"num_predict": 200}}  # fmt: skip
    sockets = [open_stream(fleet.edge, greedy.id_token, body) for _ in range(8)]
    try:
        time.sleep(2)  # every stream has reached the edge
        ninth = fleet.http.get(fleet.edge + "/us-east-1/version", headers={"Authorization": greedy.id_token},
                               timeout=(5, 30))  # fmt: skip
        assert ninth.status_code == 429, f"{ninth.status_code} {ninth.text}"
        assert "at once" in ninth.json()["message"]
        assert fleet.call_edge("GET", "/us-east-1/version", token=alice.id_token).status_code == 200
    finally:
        for sock in sockets:
            sock.close()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        again = fleet.http.get(fleet.edge + "/us-east-1/version", headers={"Authorization": greedy.id_token},
                               timeout=(5, 30))  # fmt: skip
        if again.status_code == 200:
            break
        time.sleep(1)
    assert again.status_code == 200, f"the places were not given back: {again.status_code} {again.text}"
