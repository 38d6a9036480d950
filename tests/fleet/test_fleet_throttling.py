"""The edge's per-user throttling (issue 3 deliverable 3): a burst from one user is eventually
answered 429 while another user is still served."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

MAX_REQUESTS = 200
MAX_SECONDS = 20.0
CONCURRENCY = 8


def burst(url: str, token: str) -> list[int]:
    """Up to MAX_REQUESTS quick GETs from CONCURRENCY threads, stopping at the first 429 or after
    MAX_SECONDS. Returns every status seen (0 for a transport error)."""
    statuses: list[int] = []
    lock = threading.Lock()
    stop = threading.Event()
    deadline = time.monotonic() + MAX_SECONDS
    local = threading.local()

    def one(_: int) -> None:
        if stop.is_set() or time.monotonic() > deadline:
            return
        if not hasattr(local, "session"):
            local.session = requests.Session()
            local.session.trust_env = False
        try:
            status = local.session.get(url, headers={"Authorization": token}, timeout=(2, 10)).status_code
        except requests.RequestException:
            status = 0
        with lock:
            statuses.append(status)
        if status == 429:
            stop.set()

    with ThreadPoolExecutor(CONCURRENCY) as pool:
        list(pool.map(one, range(MAX_REQUESTS)))
    return statuses


def test_a_burst_from_one_user_is_throttled_per_user(fleet, identity, other_user):
    """Issue 3 deliverable 3 (API Gateway usage throttling, per user): ≤ 200 quick `GET
    /us-east-1/version` from one user get 429 at some point, and nothing but 200 before it; another
    user is served meanwhile."""
    noisy = identity.register("noisy")
    statuses = burst(fleet.edge + "/us-east-1/version", noisy.id_token)
    assert 429 in statuses, f"no 429 in {len(statuses)} requests: {sorted(set(statuses))}"
    assert set(statuses) <= {200, 429}, f"statuses other than 200/429: {sorted(set(statuses))}"
    response = fleet.call_edge("GET", "/us-east-1/version", token=other_user.id_token)
    assert response.status_code == 200, f"another user was throttled too: {response.status_code} {response.text}"
