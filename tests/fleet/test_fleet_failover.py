"""Failover (issue 3 acceptance, "Beyond the brief"): workers and a balancer are killed with
SIGKILL and the fleet keeps answering. Destructive: runs after every look-only test
(FLEET_PHASE 1), in this file's order.

Proves R-LLM-2 (a backup per pool), R-APP-7 with the edge's cross-region fallback, and the
balancer's health checks, passive ejection and retry-before-first-byte rule (issue 3 item 2).

Assumption, marked where it matters: the contract does not say whether `cakap up` restarts a
killed worker. Tests that need a pool down kill whatever serves its addresses at that moment
(the original workers or restarted ones); the restart test waits a bounded time for `cakap up`
to restart the worker, starts one itself on that port if nothing did, and asserts only that the
balancer takes it back.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess

import pytest
from cakap_testing.fleet_os import alive, cmdline, comm, descendants, kill_tree, listener_pid, listening_inodes, port_of, wait_until
from cakap_testing.fleet_process import CHAT_MODEL, UNREACHABLE_REGISTRY, cakap_bin, cakap_home, timed_ndjson

FLEET_PHASE = 1
HEALTH_NOTICE_SECONDS = 10.0  # 1 s interval, 2 failures to turn unhealthy, with room on 2 cores
RESTART_WAIT_SECONDS = 15.0
CHAT = {"model": CHAT_MODEL, "messages": [{"role": "user", "content": "Hi"}], "options": {"num_predict": 4}}


def worker_pids(fleet, worker: dict) -> set[int]:
    """The processes serving one worker address of the state file now: the state's pid while it
    still runs that worker, any `cakap` descendant of `cakap up` started with that port (a worker
    `cakap up` restarted, listening or still starting), and whichever descendant listens there."""
    port = port_of(worker["url"])
    family = [pid for pid, _ in descendants(fleet.process.pid)]
    pids = {pid for pid in family if comm(pid) == "cakap" and re.search(rf"--port[= ]{port}(?![0-9])", cmdline(pid))}
    if alive(worker["pid"]) and str(port) in cmdline(worker["pid"]):
        pids.add(worker["pid"])
    listener = listener_pid(port, family)
    return pids | ({listener} if listener else set())


def kill_worker(fleet, worker: dict) -> None:
    """SIGKILLs whatever serves one worker address (see worker_pids). Its engines must die with it
    (they run with a parent-death signal): any that outlive it are killed and fail the test."""
    fleet.snapshot()
    for pid in worker_pids(fleet, worker):
        survivors = kill_tree(pid)
        assert not survivors, f"llama-server {[child for child, _ in survivors]} outlived its SIGKILLed worker {pid}"


def chat_targets(fleet, region: str) -> dict:
    return {url: state for (pool, url), state in fleet.targets(region).items() if pool == "chat"}


def take_down_east_chat(fleet) -> None:
    """Kills both us-east-1 chat workers (or the ones `cakap up` restarted since) and waits until
    that balancer's health checks mark both unhealthy. Called by each test that needs the pool
    down, because `cakap up` may restart workers after a few seconds."""
    for worker in fleet.workers("us-east-1", "chat"):
        kill_worker(fleet, worker)
    states = {}

    def both_unhealthy() -> bool:
        states.update(chat_targets(fleet, "us-east-1"))
        return len(states) == 2 and not any(state.get("healthy") for state in states.values())

    assert wait_until(both_unhealthy, HEALTH_NOTICE_SECONDS, interval=0.25), f"/targets chat: {states}"


def test_one_of_two_llm_workers_killed_no_request_fails(fleet):
    """R-LLM-2, issue 3 item 2: one us-west-2 LLM worker SIGKILLed, then at once 20 sequential
    `/api/tags` to the us-west-2 balancer all answer 200 (a connection refused before any byte is
    retried on the other target and the dead one ejected)."""
    victim = next(worker for worker in fleet.workers("us-west-2", "llm") if worker["zone"] == "a")
    kill_worker(fleet, victim)
    statuses = []
    for _ in range(20):
        response = fleet.get(fleet.balancer("us-west-2") + "/api/tags", timeout=(5, 30))
        statuses.append(response.status_code)
    assert statuses == [200] * 20, statuses


def test_pool_without_a_healthy_target_answers_503(fleet):
    """Issue 3 item 2: once health checks mark both us-east-1 chat targets unhealthy, that
    balancer answers `/api/chat` with 503 `{"error": "no healthy target in pool chat"}` and
    `x-cakap-no-healthy-target: true`; its other pools still serve."""
    take_down_east_chat(fleet)
    response = fleet.post(fleet.balancer("us-east-1") + "/api/chat", json={**CHAT, "stream": False})
    assert response.status_code == 503, response.text
    assert response.json() == {"error": "no healthy target in pool chat"}
    assert response.headers.get("x-cakap-no-healthy-target") == "true", dict(response.headers)
    assert fleet.get(fleet.balancer("us-east-1") + "/api/tags").status_code == 200


def test_edge_answers_chat_from_the_other_region(fleet, user):
    """R-APP-7 (beyond the brief): with no healthy us-east-1 chat worker, `/us-east-1/chat` answers
    200 from us-west-2 with `x-cakap-region: us-west-2`, streamed or not, with no client-visible
    error once health checks have noticed; `/us-east-1/tags` still answers from us-east-1.
    (Should `cakap up` restart the killed workers meanwhile, later answers may come from us-east-1
    again: those only have to succeed.)"""
    take_down_east_chat(fleet)
    with fleet.call_edge("POST", "/us-east-1/chat", token=user.id_token, json=CHAT, stream=True) as response:
        assert response.status_code == 200, response.text
        assert response.headers.get("x-cakap-region") == "us-west-2"
        lines = [line for _, line in timed_ndjson(response)]
    assert lines[-1].get("done") is True and not any("error" in line for line in lines), lines[-1]
    regions = []
    for _ in range(3):
        response = fleet.call_edge("POST", "/us-east-1/chat", token=user.id_token, json={**CHAT, "stream": False})
        assert response.status_code == 200, f"{response.status_code} {response.text} after {regions}"
        assert response.json()["done"] is True
        regions.append(response.headers.get("x-cakap-region"))
    assert regions[0] == "us-west-2" and set(regions) <= {"us-west-2", "us-east-1"}, regions
    tags = fleet.call_edge("GET", "/us-east-1/tags", token=user.id_token)
    assert tags.status_code == 200 and tags.headers.get("x-cakap-region") == "us-east-1"


@pytest.fixture
def restarted_worker(fleet, tmp_path):
    """The us-east-1 zone-a chat worker's address served again. ASSUMPTION (the contract is
    silent on restarts): if `cakap up` restarts killed workers it does so within
    RESTART_WAIT_SECONDS; if nothing binds the port by then, the test starts `cakap worker` there
    itself over the shared store, and stops it (and its engines) afterwards."""
    worker = next(worker for worker in fleet.workers("us-east-1", "chat") if worker["zone"] == "a")
    port = port_of(worker["url"])
    process = None
    if not wait_until(lambda: bool(listening_inodes(port)), RESTART_WAIT_SECONDS, interval=0.5):
        environment = {**os.environ, "CAKAP_REGISTRY": UNREACHABLE_REGISTRY, "CAKAP_LOG_DIR": str(tmp_path)}
        command = [str(cakap_bin()), "worker", "--host", "127.0.0.1", "--port", str(port)]
        command += ["--models", str(cakap_home() / "models")]
        with (tmp_path / "worker.log").open("wb") as log:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=environment)
    yield worker["url"].rstrip("/")
    if process is not None:
        children = descendants(process.pid)
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        for child, started in children:
            if alive(child, started):
                os.kill(child, signal.SIGKILL)


def test_restarted_worker_takes_traffic_back(fleet, user, restarted_worker):
    """Issue 3 acceptance ("restarted workers take traffic back"): a worker answering again on a
    killed chat worker's address turns healthy at the us-east-1 balancer within the health-check
    bound, and `/us-east-1/chat` is answered by us-east-1 again, with no failed request meanwhile."""
    states = {}

    def healthy_again() -> bool:
        states.update(chat_targets(fleet, "us-east-1"))
        return bool(states.get(restarted_worker, {}).get("healthy"))

    assert wait_until(healthy_again, HEALTH_NOTICE_SECONDS + 20, interval=0.5), f"/targets chat: {states}"

    def answered_from_east() -> bool:
        response = fleet.call_edge("POST", "/us-east-1/chat", token=user.id_token, json={**CHAT, "stream": False})
        assert response.status_code == 200, response.text
        return response.headers.get("x-cakap-region") == "us-east-1"

    assert wait_until(answered_from_east, 10, interval=0.5), "us-east-1 chat still answered from elsewhere"


def test_balancer_unreachable_edge_answers_from_the_other_region(fleet, user):
    """R-APP-7 (beyond the brief): the us-east-1 balancer SIGKILLed → `/us-east-1/tags` answers 200
    from us-west-2 with `x-cakap-region: us-west-2`. Needs the balancer in a process of its own."""
    port = port_of(fleet.balancer("us-east-1"))

    def family() -> list[int]:
        return [fleet.process.pid] + [pid for pid, _ in descendants(fleet.process.pid)]

    assert wait_until(lambda: listener_pid(port, family()) is not None, 10, interval=0.5), f"nobody listens on :{port}"
    owner = listener_pid(port, family())
    edge_owner = listener_pid(port_of(fleet.edge), family())
    if owner in (fleet.process.pid, edge_owner):
        pytest.skip(f"the us-east-1 balancer runs inside pid {owner} with cakap up or the edge; it cannot die alone")
    fleet.snapshot()
    kill_tree(owner)

    def answered_from_west() -> bool:
        response = fleet.call_edge("GET", "/us-east-1/tags", token=user.id_token)
        return response.status_code == 200 and response.headers.get("x-cakap-region") == "us-west-2"

    assert wait_until(answered_from_west, HEALTH_NOTICE_SECONDS, interval=0.5), "no failover within the bound"
