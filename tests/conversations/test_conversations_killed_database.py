"""PostgreSQL SIGKILLed (no shutdown: crash recovery on the next start) while a client keeps
saving turns; the client queues each turn and retries it after `Retry-After`, as the web app does.
Every queued turn arrives, in order, once the database is back; the service is never restarted.

Proves R-APP-8 (the whole history is stored) under the issue-9 scenario "PostgreSQL killed and
restarted — the API recovers and the client's queued turns arrive". The SIGTERM variant is
test_conversations_database.py `test_a_restarted_database_gives_503s_then_the_same_service_recovers`.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from pathlib import Path

from conftest import Stack, User

TURNS = 6
DOWN_SECONDS = 3.0
DRAIN_BOUND = 60.0


def process_tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                text = (entry / "stat").read_text()
            except OSError:
                continue
            children.setdefault(int(text[text.rindex(")") + 2 :].split()[1]), []).append(int(entry.name))
    tree, stack = [], [root]
    while stack:
        pid = stack.pop()
        tree.append(pid)
        stack += children.get(pid, [])
    return tree


def test_a_killed_database_loses_no_queued_turn(stack: Stack, alice: User, http) -> None:
    """Issue 9, R-APP-8: PostgreSQL and its wrapper SIGKILLed; 6 turns saved (PUT) one every 0.5 s
    meanwhile, each retried on 503 after Retry-After; PostgreSQL started again after 3 s → within
    60 s every turn is stored, in order, and no answer was other than 200 or 503."""
    root = f"{stack.service}/conversations/{alice.sub}"
    conversation_id = str(uuid.uuid4())
    messages = [{"role": "user", "content": "turn 0"}]
    body = {"id": conversation_id, "title": "through a crash", "conversation": messages}
    assert http.post(root, json=body, headers=alice.headers).status_code == 201
    service = stack.services[0]

    for pid in reversed(process_tree(stack.postgres.process.pid)):  # children first: no orderly shutdown
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    stack.postgres.process.wait(timeout=10)

    queue: list[list[dict]] = []
    statuses: list[int] = []
    produced = threading.Event()

    def client() -> None:
        """The web app's save queue: the newest conversation state, retried until it is stored."""
        deadline = time.monotonic() + DRAIN_BOUND
        while time.monotonic() < deadline and (queue or not produced.is_set()):
            if not queue:
                time.sleep(0.05)
                continue
            answer = http.put(f"{root}/{conversation_id}", json={"conversation": queue[0]}, headers=alice.headers,
                              timeout=30)  # fmt: skip
            statuses.append(answer.status_code)
            if answer.status_code == 200:
                queue.pop(0)
            else:
                time.sleep(float(answer.headers.get("Retry-After", "1")))

    def outage_seen(since: float) -> bool:
        """Down for DOWN_SECONDS and a 503 answered (or 20 s passed): only then is PostgreSQL started
        again, so the outage is observed however slowly the machine answers."""
        elapsed = time.monotonic() - since
        return (elapsed >= DOWN_SECONDS and 503 in statuses) or elapsed >= 20

    worker = threading.Thread(target=client)
    worker.start()
    killed_at = time.monotonic()
    for turn in range(1, TURNS + 1):
        messages = [*messages, {"role": "user", "content": f"turn {turn}"}]
        queue.append(messages)
        time.sleep(0.5)
        if outage_seen(killed_at) and stack.postgres.process.poll() is not None:
            stack.start_postgres()
    produced.set()
    while not outage_seen(killed_at):  # a loaded machine may not have answered one save yet
        time.sleep(0.1)
    if stack.postgres.process.poll() is not None:
        stack.start_postgres()
    worker.join(timeout=DRAIN_BOUND + 5)
    assert not queue, f"{len(queue)} turns never arrived; statuses {statuses}\n{stack.logs()[-3000:]}"
    assert set(statuses) <= {200, 503}, statuses
    assert 503 in statuses, "the outage was not seen: the test proved nothing"
    stored = http.get(f"{root}/{conversation_id}", headers=alice.headers, timeout=30).json()
    assert [message["content"] for message in stored["conversation"]] == [f"turn {n}" for n in range(TURNS + 1)]
    assert service.process.poll() is None  # the same process
    print(f"{statuses.count(503)} answers 503 during the outage, then all {TURNS} turns stored")
    http.delete(root, headers=alice.headers)
