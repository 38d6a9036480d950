"""Issue 19, HIGH 1 and 2: what one signed-in learner could do to the fleet.

HIGH 1: `options.num_ctx` had no bound, so `num_ctx × parallel` overflowed in the worker's
launcher (a Swift trap: the worker died, and the balancer's retry took down the next one); each
distinct `num_ctx` with `keep_alive: -1` started and kept another `llama-server`. Now options out
of range are a 400, `num_ctx` is rounded up to a few sizes, and a worker runs at most
`CAKAP_MAX_ENGINES` (4) engines (docs/resilience.md, "Security limits").

HIGH 2: model management (pull, create, push, copy, delete) is an operator's, not a learner's: the
edge answers 403 to learners, as API Gateway's mock methods do (docs/fleet.md).
"""

from __future__ import annotations

import os

import pytest
from conftest import subject
from cakap_testing.fleet_process import CHAT_MODEL

MAX_ENGINES = 4


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def worker_pids(fleet) -> dict[str, int]:
    return {worker["url"]: worker["pid"] for _, _, worker in fleet.all_workers()}


def test_a_huge_num_ctx_is_a_400_and_kills_no_worker(fleet, alice):
    """Issue 19 HIGH 1: `num_ctx` 2⁶³−1 (and −2⁶³, and `num_predict` 2⁶³−1) through the edge on
    generate, chat and embed in both regions → 400 with a JSON error naming the option and its
    range; every worker process of the fleet is the same one afterwards (before the fix the
    launcher's `num_ctx × parallel` trapped: the scoring workers died and were restarted)."""
    pids = worker_pids(fleet)
    assert all(pid > 0 and alive(pid) for pid in pids.values()), pids
    huge = 9223372036854775807
    for region in ("us-east-1", "us-west-2"):
        for options, option in (({"num_ctx": huge}, "num_ctx"), ({"num_ctx": -huge - 1}, "num_ctx"),
                                ({"num_predict": huge}, "num_predict")):
            for route, body in (
                ("generate", {"model": CHAT_MODEL, "prompt": "Hi", "stream": False}),
                ("chat", {"model": CHAT_MODEL, "messages": [{"role": "user", "content": "Hi"}], "stream": False}),
                ("embed", {"model": "all-minilm", "input": "Hi"}),
            ):  # fmt: skip
                response = fleet.call_edge("POST", f"/{region}/{route}", token=alice.id_token,
                                           json={**body, "options": options, "keep_alive": -1})
                assert response.status_code == 400, f"{region}/{route} {options} → {response.status_code} {response.text}"
                assert response.json()["error"].startswith(f"{option} must be between"), response.text
    dead = {url: pid for url, pid in pids.items() if not alive(pid)}
    assert not dead, f"workers died (restarted by cakap up): {dead}"


def test_distinct_num_ctx_values_keep_the_engine_count_bounded(fleet):
    """Issue 19 HIGH 1: 25 distinct `num_ctx` values (16…40) and five more sizes (600 … 8400),
    each with `keep_alive: -1`, straight to one scoring worker (the operator's path; learners'
    keep_alive is clamped at the edge) → every load succeeds, `/api/ps` never lists more than
    CAKAP_MAX_ENGINES engines and the worker process is the same one. Before the fix each value
    started and kept its own `llama-server`: 30 engines."""
    worker = fleet.workers("us-east-1", "scoring")[0]
    url, pid = worker["url"].rstrip("/"), worker["pid"]
    counts = []
    try:
        for num_ctx in [*range(16, 41), 600, 1100, 2100, 4200, 8400]:
            response = fleet.post(url + "/api/generate", json={"model": CHAT_MODEL, "prompt": "", "keep_alive": -1,
                                                               "options": {"num_ctx": num_ctx}})  # fmt: skip
            assert response.status_code in (200, 503), f"num_ctx {num_ctx} → {response.status_code} {response.text}"
            running = fleet.get(url + "/api/ps").json()["models"]
            counts.append(len(running))
            assert len(running) <= MAX_ENGINES, f"num_ctx {num_ctx}: {len(running)} engines: {running}"
        assert alive(pid), "the worker died"
        sizes = {model["context_length"] for model in fleet.get(url + "/api/ps").json()["models"]}
        assert sizes <= {512, 1024, 2048, 4096, 8192, 16384}, sizes
    finally:
        # Leave the worker as the fleet expects it: the chat model at the default size.
        fleet.post(url + "/api/generate", json={"model": CHAT_MODEL, "prompt": "", "keep_alive": -1})
    assert max(counts) == MAX_ENGINES, counts


@pytest.mark.parametrize("route", ["pull", "create", "push", "copy", "delete", "Pull"])
def test_learners_cannot_manage_models(fleet, alice, route):
    """Issue 19 HIGH 2: a signed-in learner's pull, create, push, copy or delete through the edge
    → 403 with API Gateway's JSON `{"message"}` in both regions, and the store is unchanged (no
    download starts: `/tags` lists the same models). Before the fix pull, create and push reached
    the workers (only copy was refused)."""
    before = fleet.call_edge("GET", "/us-east-1/tags", token=alice.id_token).json()
    for region in ("us-east-1", "us-west-2"):
        response = fleet.call_edge("POST", f"/{region}/{route}", token=alice.id_token,
                                   json={"model": "llama3:70b", "source": CHAT_MODEL, "destination": "x:y",
                                         "stream": False})  # fmt: skip
        assert response.status_code == 403, f"{region}/{route} → {response.status_code} {response.text}"
        assert "not part of the public API" in response.json()["message"]
    assert fleet.call_edge("GET", "/us-east-1/tags", token=alice.id_token).json() == before


def test_the_operator_pull_is_limited_to_the_allowlist(fleet):
    """Issue 19 HIGH 2: on the operator's path (the region's balancer), a pull of a model not in
    CAKAP_PULL_MODELS (cakap up allows the models of `cakap setup`) → 403 naming the setting,
    before any registry is contacted."""
    response = fleet.post(fleet.balancer("us-east-1") + "/api/pull", json={"model": "deepseek-r1:671b", "stream": False})
    assert response.status_code == 403, response.text
    assert "CAKAP_PULL_MODELS" in response.json()["error"]


def test_edge_responses_carry_browser_protections(fleet, alice):
    """Issue 19 (low): the web page, `config.js`, an API answer and an API error all carry
    `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY` and a Content-Security-Policy with
    `frame-ancestors 'none'` and no inline script; before the fix none had them."""
    responses = {
        "page": fleet.get(fleet.edge + "/"),
        "config.js": fleet.get(fleet.edge + "/config.js"),
        "api": fleet.call_edge("GET", "/us-east-1/version", token=alice.id_token),
        "error": fleet.call_edge("GET", "/us-east-1/version"),
    }
    for name, response in responses.items():
        policy = response.headers.get("Content-Security-Policy", "")
        assert response.headers.get("X-Content-Type-Options") == "nosniff", name
        assert response.headers.get("X-Frame-Options") == "DENY", name
        assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy, (name, policy)
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, (name, policy)
    assert responses["error"].status_code == 401


def test_show_reveals_no_file_path(fleet, alice):
    """Issue 19 (low): `/show` of the chat model through the edge names the model in its
    Modelfile, never the store's path (`FROM /…/blobs/sha256-…` before the fix)."""
    response = fleet.call_edge("POST", "/us-east-1/show", token=alice.id_token, json={"model": CHAT_MODEL})
    assert response.status_code == 200, response.text
    assert f"FROM {CHAT_MODEL}" in response.json()["modelfile"]
    assert "blobs" not in response.text and str(fleet.data) not in response.text


def test_services_do_not_say_why_a_token_failed(fleet, alice, forge):
    """Issue 19 (low): the conversations service and the tutor, called directly with a token of
    the wrong audience, an unknown key and an expired one → 401 `sign in again`, with no word of
    which check failed (before the fix: "sign in again: 401 Unauthorized (aud is not the app client)")."""
    tokens = [forge.sign(aud="attackerclient000000000001"), forge.sign(header={"kid": "rotated-away"}),
              forge.sign(exp=1, iat=0, auth_time=0)]  # fmt: skip
    targets = [(fleet.state["conversations"].rstrip("/") + f"/conversations/{subject(alice)}", "GET"),
               (fleet.state["tutor"].rstrip("/") + "/tutor/feedback", "POST")]  # fmt: skip
    for url, method in targets:
        for token in tokens:
            response = fleet.http.request(method, url, headers={"Authorization": token},
                                          json={"text": "hi", "lang": "en"}, timeout=(5, 30))  # fmt: skip
            assert response.status_code == 401, f"{url} → {response.status_code} {response.text}"
            assert response.json()["error"] == "sign in again", response.text
