"""A region lost for real: us-west-2's balancer and worker run in a network namespace of their own
(address 10.251.<n>.2, joined by a veth pair), us-east-1's on loopback, the edge in the root
namespace. The region's link goes down (packets go nowhere: no reset, no "unreachable"), and
comes back.

Proves R-APP-7 with the edge's cross-region failover (beyond the brief; docs/fleet.md) and the
issue-9 scenario "a region's link cut (traffic fails over) and restored (traffic returns)".
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests
from conftest import Processes, free_ports, http_session, sign_in, wait_until
from fault_network import Namespace

FAILOVER_BOUND = 10.0  # seconds from the cut until every answer comes from us-east-1 at once
RETURN_BOUND = 15.0  # seconds from the restore until answers come from us-west-2 again
REQUEST_TIMEOUT = (3.0, 20.0)  # a request that hangs longer than this is a failure


def pools(url: str) -> list[str]:
    return [arg for pool in ("llm", "chat", "scoring") for arg in ("--pool", f"{pool}={url}@a")]


@pytest.fixture
def west() -> Iterator[Namespace]:
    namespace = Namespace("west").create()
    try:
        yield namespace
    finally:
        namespace.remove()
        assert not namespace.exists(), f"namespace {namespace.name} left behind"


@pytest.fixture
def two_regions(processes: Processes, west: Namespace, setup_store, tmp_path) -> dict:
    """us-west-2 inside the namespace (balancer on port 80 of its address, like the private ALB),
    us-east-1 on loopback, the edge in the root namespace configured with both."""
    store = ["--models", str(setup_store)]
    west_worker = processes.start("west-worker", ["worker", "--host", "127.0.0.1", "--port", "11434", *store],
                                  prefix=west.prefix())  # fmt: skip
    west_balancer = processes.start(
        "west-balancer",
        ["lb", "--region", "us-west-2", "--host", west.address, "--port", "80", "--admin-port", "8080",
         *pools("http://127.0.0.1:11434")],
        prefix=west.prefix(),
    )  # fmt: skip
    east_port, balancer_port, admin_port, edge_port = free_ports(4)
    east_worker = processes.start("east-worker", ["worker", "--port", str(east_port), *store])
    east_balancer = processes.start(
        "east-balancer",
        ["lb", "--region", "us-east-1", "--port", str(balancer_port), "--admin-port", str(admin_port),
         *pools(f"http://127.0.0.1:{east_port}")],
    )  # fmt: skip
    west_url = f"http://{west.address}:80"
    edge = processes.start(
        "edge",
        ["edge", "--port", str(edge_port), "--data", str(tmp_path / "identity"),
         "--region", f"us-east-1=http://127.0.0.1:{balancer_port}", "--region", f"us-west-2={west_url}"],
    )  # fmt: skip
    east_worker.wait_http(f"http://127.0.0.1:{east_port}/")
    east_balancer.wait_http(f"http://127.0.0.1:{balancer_port}/")
    west_balancer.wait_http(west_url + "/")  # from the root namespace, over the veth pair
    west_worker.wait_http(west_url + "/api/version")
    edge.wait_http(f"http://127.0.0.1:{edge_port}/healthz")
    edge_url = f"http://127.0.0.1:{edge_port}"
    return {"edge": edge_url, "token": sign_in(edge_url, tmp_path / "identity", "west"), "processes": processes}


def ask(http: requests.Session, regions: dict, log: list) -> tuple[int, str | None, float]:
    """`GET /us-west-2/tags` through the edge: (status, answering region, seconds); 0 if it failed."""
    began = time.monotonic()
    try:
        response = http.get(regions["edge"] + "/us-west-2/tags", headers={"Authorization": regions["token"]},
                            timeout=REQUEST_TIMEOUT)  # fmt: skip
        result = (response.status_code, response.headers.get("x-cakap-region"), time.monotonic() - began)
    except requests.RequestException as error:
        result = (0, type(error).__name__, time.monotonic() - began)
    log.append(result)
    return result


def test_region_link_cut_fails_over_and_restore_brings_traffic_back(two_regions, west):
    """R-APP-7 (beyond the brief), issue 9: with us-west-2's link down, `/us-west-2/tags` keeps
    answering 200 — from us-east-1 within FAILOVER_BOUND, no request hanging or failing — and once
    the link is back, from us-west-2 again within RETURN_BOUND, still with no failure."""
    http = http_session()
    log: list = []
    for _ in range(5):  # warm: the edge now holds kept-alive connections to the west balancer
        assert ask(http, two_regions, log)[:2] == (200, "us-west-2"), log

    west.cut()
    cut_at = time.monotonic()

    def east_answers_at_once() -> bool:
        status, region, seconds = ask(http, two_regions, log)
        assert status == 200, f"a request failed after the cut: {log}\n{two_regions['processes'].logs()}"
        return region == "us-east-1" and seconds < 1.0

    assert wait_until(east_answers_at_once, FAILOVER_BOUND, interval=0.1), f"no failover: {log}"
    failed_over = time.monotonic() - cut_at
    assert all(ask(http, two_regions, log)[:2] == (200, "us-east-1") for _ in range(5)), log

    west.restore()
    restored_at = time.monotonic()

    def west_answers() -> bool:
        status, region, _ = ask(http, two_regions, log)
        assert status == 200, f"a request failed after the restore: {log}"
        return region == "us-west-2"

    assert wait_until(west_answers, RETURN_BOUND, interval=0.2), f"traffic did not return: {log}"
    returned = time.monotonic() - restored_at
    slowest = max(seconds for _, _, seconds in log)
    print(f"failover {failed_over:.1f} s after the cut, back {returned:.1f} s after the restore, "
          f"{len(log)} requests, none failed, slowest {slowest:.1f} s")  # fmt: skip
