"""A zone dies mid-stream: two workers (zone a and its backup in zone b, each serving the llm,
scoring and chat pools, as one machine per zone) behind one balancer; the worker streaming a chat
is SIGKILLed after its first token.

Proves R-LLM-2 (a backup in a second availability zone for every kind), the balancer rules of
docs/fleet.md (retry before the first byte, never after; passive ejection) and STYLE.md §5 (after
the first byte an error is one final `{"error": ...}` line), for the issue-9 scenarios "a worker
killed mid-stream" and "one zone's workers killed". tests/fleet/test_fleet_failover.py kills
workers of the full `cakap up` fleet between requests; this one kills one during a stream.
"""

from __future__ import annotations

import json
import time

import requests
from conftest import CHAT_MODEL, Processes, free_ports, http_session, wait_until

LONG_REPLY = {
    "model": CHAT_MODEL,
    "messages": [{"role": "user", "content": "Count from 1 to 500, one number per line."}],
    "options": {"num_predict": 800, "temperature": 0},
}
SHORT = {"options": {"num_predict": 4}, "stream": False}


def test_a_zone_killed_mid_stream_ends_the_stream_cleanly_and_the_other_zone_serves(processes: Processes, setup_store):
    """Issue 9: the stream's worker SIGKILLed after its first token → the client's stream ends
    within 10 s with one `{"error": ...}` line (HTTP 200, a complete chunked body, no `done`);
    then chat, generate, embed and tags through the balancer all answer 200 from the other zone,
    with no failed request, and `/targets` shows the dead zone unhealthy."""
    port_a, port_b, balancer_port, admin_port = free_ports(4)
    ports = {"a": port_a, "b": port_b}
    workers = {zone: processes.start(f"worker-{zone}", ["worker", "--port", str(port), "--models", str(setup_store)],
                                     env={"CAKAP_KEEP_ALIVE": "-1"})  # fmt: skip
               for zone, port in ports.items()}
    urls = {zone: f"http://127.0.0.1:{port}" for zone, port in ports.items()}
    targets = f"{urls['a']}@a,{urls['b']}@b"
    balancer = processes.start(
        "balancer",
        ["lb", "--region", "us-east-1", "--port", str(balancer_port), "--admin-port", str(admin_port),
         *[arg for pool in ("llm", "chat", "scoring") for arg in ("--pool", f"{pool}={targets}")]],
    )  # fmt: skip
    for zone, worker in workers.items():
        worker.wait_http(urls[zone] + "/")
    balancer_url = f"http://127.0.0.1:{balancer_port}"
    balancer.wait_http(balancer_url + "/")
    http = http_session()
    chat = {"model": CHAT_MODEL, "messages": [{"role": "user", "content": "Hi"}], **SHORT}
    for url in urls.values():  # load the model in both zones, so the kill is the only fault
        assert http.post(url + "/api/chat", json=chat, timeout=(5, 120)).status_code == 200

    lines, error = [], None
    with http.post(balancer_url + "/api/chat", json=LONG_REPLY, stream=True, timeout=(5, 30)) as response:
        assert response.status_code == 200, response.text
        stream = response.iter_lines()
        lines.append(json.loads(next(line for line in stream if line.strip())))
        outstanding = {}

        def serving() -> bool:
            states = http.get(f"http://127.0.0.1:{admin_port}/targets", timeout=5).json()["chat"]
            outstanding.update({state["zone"]: state["outstanding"] for state in states})
            return sum(outstanding.values()) == 1

        assert wait_until(serving, 5), outstanding
        victim = next(zone for zone, count in outstanding.items() if count == 1)
        killed_at = time.monotonic()
        workers[victim].kill()
        try:
            lines.extend(json.loads(line) for line in stream if line.strip())
        except requests.RequestException as failure:
            error = failure
    ended = time.monotonic() - killed_at
    assert error is None, f"the stream was cut without a final error line after {len(lines)} lines: {error!r}"
    assert ended < 10, f"the stream took {ended:.1f} s to end after the kill"
    assert isinstance(lines[-1].get("error"), str), lines[-3:]
    assert not any(line.get("done") for line in lines), "the reply finished before the kill"

    survivor = "b" if victim == "a" else "a"
    calls = [
        ("/api/chat", chat),
        ("/api/generate", {"model": CHAT_MODEL, "prompt": "Hi", **SHORT}),
        ("/api/embed", {"model": "all-minilm", "input": "hello"}),
        ("/api/tags", None),
    ]
    statuses = []
    for _ in range(3):
        for path, body in calls:
            if body is None:
                statuses.append(http.get(balancer_url + path, timeout=(5, 120)).status_code)
            else:
                statuses.append(http.post(balancer_url + path, json=body, timeout=(5, 120)).status_code)
    assert statuses == [200] * len(statuses), statuses
    states = http.get(f"http://127.0.0.1:{admin_port}/targets", timeout=5).json()
    for pool in ("llm", "chat", "scoring"):
        health = {state["zone"]: state["healthy"] for state in states[pool]}
        assert health == {victim: False, survivor: True}, (pool, health)
    print(f"zone {victim} killed mid-stream: stream ended with an error line {ended:.1f} s later; "
          f"{len(statuses)} requests after it all served by zone {survivor}")  # fmt: skip
