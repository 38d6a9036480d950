"""Issue 3 acceptance on a running `cakap up`: the fleet's shape, the balancers' path rules and
`/`, the edge's region routes, streaming end to end, and the official `ollama` client.

Proves R-LLM-1/2 (three pools, a backup in zone b), R-LLM-4 (every worker lists the same models),
R-LLM-5 (path rules, `its worked!`), R-LLM-6 (the official client through a balancer), R-API-2
(`/{region}/{proxy+}` → `/api/{proxy}`), R-APP-6 (streaming), R-APP-7 (the learner's region
serves), R-AUTH-6 (no token, no answer). Nothing here kills a process.
"""

from __future__ import annotations

import time

import ollama
import pytest
from cakap_testing.fleet_os import descendants, port_of, wait_until
from cakap_testing.fleet_process import (
    CHAT_MODEL,
    DEFAULT_MODELS,
    EMBED_DIMENSIONS,
    EMBED_MODEL,
    POOLS,
    PRELOADED,
    REGIONS,
    TOPOLOGY,
    model_key,
    served_by,
    timed_ndjson,
    worker_counts,
)
from cakap_testing.fleet_wire import parse_prometheus

TINY = {"num_predict": 2, "temperature": 0, "seed": 7}
SHORT = {"num_predict": 12, "temperature": 0, "seed": 7}


def test_default_models_loaded_before_ready(fleet):
    """R-LLM-2, R-EFS-2: `cakap up` reports ready only with each pool's default models loaded
    (chat/scoring: smollm2:135m; llm: all-minilm and smollm2:135m). Runs first, before any
    test's traffic could have loaded a model."""
    missing = {}
    for region, pool, worker in fleet.all_workers():
        response = fleet.get(worker["url"] + "/api/ps")
        assert response.status_code == 200, f"{worker['url']}/api/ps → {response.status_code} {response.text}"
        loaded = {model_key(entry.get("model") or entry.get("name")) for entry in response.json()["models"]}
        if PRELOADED[pool] - loaded:
            missing[f"{region}/{pool}/{worker['zone']} {worker['url']}"] = sorted(PRELOADED[pool] - loaded)
    assert not missing, f"models not loaded at ready: {missing}"


def test_state_matches_the_topology(fleet):
    """R-LLM-1, R-LLM-2, R-OPS-1: both regions, each with the three pools of config/topology.json,
    one worker per availability zone (a, and the backup b), on distinct loopback ports, each a
    live child process of `cakap up`."""
    assert sorted(fleet.state["regions"]) == sorted(REGIONS)
    children = {pid for pid, _ in descendants(fleet.process.pid)}
    ports = []
    for region in REGIONS:
        assert sorted(fleet.region(region)["pools"]) == sorted(POOLS), region
        for pool in TOPOLOGY["pools"]:
            workers = fleet.workers(region, pool["name"])
            zones = sorted(zone for zone, count in pool["instancesPerAz"].items() for _ in range(count))
            assert sorted(worker["zone"] for worker in workers) == zones, (region, pool["name"], workers)
            for worker in workers:
                assert worker["url"].startswith("http://127.0.0.1:"), worker
                assert worker["pid"] in children, f"{worker} is not a live descendant of cakap up"
                ports.append(port_of(worker["url"]))
        for key in ("balancer", "admin"):
            assert fleet.region(region)[key].startswith("http://127.0.0.1:"), fleet.region(region)
    assert len(ports) == len(set(ports)) == fleet.worker_count
    assert fleet.state["edge"].startswith("http://127.0.0.1:")


def test_up_prints_every_url(fleet):
    """Issue 3 deliverable 5: `cakap up` prints the edge's and each balancer's URL."""
    output = fleet.log_path.read_text(errors="replace")
    expected = [fleet.edge] + [fleet.balancer(region) for region in REGIONS]
    assert [url for url in expected if url not in output] == []


def test_tags_without_a_token_is_401(fleet):
    """R-AUTH-6: no `Authorization` header → API Gateway's 401 `{"message": "Unauthorized"}`."""
    response = fleet.call_edge("GET", "/us-east-1/tags")
    assert response.status_code == 401, response.text
    assert response.json() == {"message": "Unauthorized"}


@pytest.mark.parametrize("region", REGIONS)
def test_tags_with_an_id_token_lists_the_default_models(fleet, user, region):
    """R-API-2, R-AUTH-6, R-APP-7, R-LLM-4: `/<region>/tags` with the ID token → that region's
    balancer's `/api/tags` → 200 listing the default models; `x-cakap-region` names the region."""
    response = fleet.call_edge("GET", f"/{region}/tags", token=user.id_token)
    assert response.status_code == 200, response.text
    assert response.headers.get("x-cakap-region") == region
    names = {model_key(model["name"]) for model in response.json()["models"]}
    assert set(DEFAULT_MODELS) <= names, sorted(names)


def test_every_worker_lists_the_same_models(fleet):
    """R-LLM-4, R-EFS-2: every worker of both regions shares one store and lists the same models."""
    listings = {}
    for region, pool, worker in fleet.all_workers():
        response = fleet.get(worker["url"] + "/api/tags")
        assert response.status_code == 200, response.text
        listings[f"{region}/{pool}/{worker['zone']}"] = sorted(model_key(m["name"]) for m in response.json()["models"])
    assert len({tuple(models) for models in listings.values()}) == 1, listings
    assert set(DEFAULT_MODELS) <= set(next(iter(listings.values())))


@pytest.mark.parametrize("region", REGIONS)
def test_balancer_root_says_its_worked(fleet, region):
    """R-LLM-5: the balancer's `/` → 200 text/plain `its worked!`; an unmatched path → 404 JSON."""
    response = fleet.get(fleet.balancer(region) + "/")
    assert response.status_code == 200
    assert response.text == "its worked!"
    assert response.headers["Content-Type"].startswith("text/plain")
    unknown = fleet.get(fleet.balancer(region) + "/no/such/path")
    assert unknown.status_code == 404
    assert isinstance(unknown.json(), dict), unknown.text


@pytest.mark.parametrize("region", REGIONS)
def test_admin_port_lists_healthy_targets_and_metrics(fleet, region):
    """Issue 3 deliverable 2: the admin port's `/targets` shows every worker of the region under
    its pool, healthy; `/metrics` is Prometheus text."""
    expected = {(pool, worker["url"].rstrip("/")) for where, pool, worker in fleet.all_workers() if where == region}
    states = {}

    def all_healthy() -> bool:
        states.update(fleet.targets(region))
        return expected <= set(states) and all(states[key].get("healthy") is True for key in expected)

    assert wait_until(all_healthy, timeout=5), f"expected {sorted(expected)} healthy, /targets: {states}"
    for key in expected:
        assert isinstance(states[key].get("outstanding"), int), states[key]
    metrics = fleet.get(fleet.admin(region) + "/metrics", timeout=(2, 5))
    assert metrics.status_code == 200 and metrics.headers["Content-Type"].startswith("text/plain")
    assert parse_prometheus(metrics.text), "no samples in the balancer's /metrics"


# --- the path rules, proven by which worker counted the request (R-LLM-5) ------------------

PATH_RULES = [
    (
        "POST",
        "/api/chat",
        {"model": CHAT_MODEL, "messages": [{"role": "user", "content": "Hi"}], "options": TINY},
        "chat",
    ),
    ("POST", "/api/generate", {"model": CHAT_MODEL, "prompt": "Hi", "options": TINY}, "scoring"),
    ("GET", "/api/tags", None, "llm"),
    ("GET", "/api/version", None, "llm"),
    ("GET", "/api/ps", None, "llm"),
    ("POST", "/api/show", {"model": CHAT_MODEL}, "llm"),
    ("POST", "/api/embed", {"model": EMBED_MODEL, "input": "hello"}, "llm"),
    ("POST", "/api/embeddings", {"model": EMBED_MODEL, "prompt": "hello"}, "llm"),
]


@pytest.mark.parametrize("region", REGIONS)
@pytest.mark.parametrize(("method", "path", "body", "pool"), PATH_RULES, ids=[rule[1] for rule in PATH_RULES])
def test_path_rule_sends_each_path_to_its_pool(fleet, region, method, path, body, pool):
    """R-LLM-5: `/api/chat` → chat workers, `/api/generate` → scoring workers, every other
    `/api/*` → LLM workers, each in the balancer's own region; exactly one worker serves it."""
    if body is not None and path in ("/api/chat", "/api/generate"):
        body = {**body, "stream": False}
    before = worker_counts(fleet, path)
    response = fleet.http.request(method, fleet.balancer(region) + path, json=body, timeout=(5, 120))
    assert response.status_code == 200, f"{method} {path} → {response.status_code} {response.text}"
    grown = served_by(fleet, path, before)
    assert grown, f"no worker counted {method} {path} sent to the {region} balancer"
    assert all(
        (served_region, served_pool) == (region, pool) for served_region, served_pool, _ in grown.values()
    ), f"{path} via the {region} balancer was served by {grown}, expected one {region} {pool} worker"
    assert sum(count for _, _, count in grown.values()) == 1, grown


@pytest.mark.parametrize("region", REGIONS)
def test_edge_maps_region_paths_to_that_regions_api(fleet, user, region):
    """R-API-2, R-APP-7: `POST /<region>/embed` reaches `/api/embed` on an LLM worker of that region."""
    before = worker_counts(fleet, "/api/embed")
    response = fleet.call_edge(
        "POST", f"/{region}/embed", token=user.id_token, json={"model": EMBED_MODEL, "input": "hi"}
    )
    assert response.status_code == 200, response.text
    assert response.headers.get("x-cakap-region") == region
    assert len(response.json()["embeddings"][0]) == EMBED_DIMENSIONS
    grown = served_by(fleet, "/api/embed", before)
    assert [(r, p) for r, p, _ in grown.values()] == [(region, "llm")], grown


# --- streaming end to end (R-APP-6) --------------------------------------------------------


def test_us_west_2_chat_streams(fleet, user):
    """R-APP-6, R-API-2: `POST /us-west-2/chat` through the edge streams NDJSON objects, the last
    with `done: true` and statistics."""
    body = {"model": CHAT_MODEL, "messages": [{"role": "user", "content": "Say hello."}], "options": SHORT}
    with fleet.call_edge("POST", "/us-west-2/chat", token=user.id_token, json=body, stream=True) as response:
        assert response.status_code == 200, response.text
        assert response.headers.get("x-cakap-region") == "us-west-2"
        assert "ndjson" in response.headers.get("Content-Type", ""), response.headers
        lines = [line for _, line in timed_ndjson(response)]
    assert len(lines) >= 2, lines
    assert all(line.get("done") is False for line in lines[:-1]), lines
    assert lines[-1].get("done") is True and lines[-1].get("eval_count", 0) >= 1, lines[-1]
    assert "".join(line.get("message", {}).get("content", "") for line in lines).strip()


def test_first_line_arrives_while_generation_runs(fleet, user):
    """R-APP-6 (issue 3 acceptance): through edge → balancer → worker, the first chat line reaches
    the client long before the last: the gap between them covers at least half of the server's
    own generation time (a buffering hop would deliver them together)."""
    body = {
        "model": CHAT_MODEL,
        "messages": [{"role": "user", "content": "Count from 1 to 100, separated by spaces."}],
        "options": {"num_predict": 64, "temperature": 0, "seed": 7},
    }
    sent = time.monotonic()
    with fleet.call_edge("POST", "/us-east-1/chat", token=user.id_token, json=body, stream=True) as response:
        assert response.status_code == 200, response.text
        lines = timed_ndjson(response)
    (first_at, first), (last_at, last) = lines[0], lines[-1]
    assert first.get("done") is False and last.get("done") is True, (first, last)
    assert last["eval_count"] >= 32, f"generation too short to judge streaming: {last}"
    generation = last["eval_duration"] / 1e9
    gap = last_at - first_at
    assert gap >= 0.5 * generation, (
        f"first line at +{first_at - sent:.3f} s, last at +{last_at - sent:.3f} s; the server generated for "
        f"{generation:.3f} s: the stream was buffered somewhere"
    )


# --- the official ollama client pointed at a balancer (R-LLM-6) ----------------------------


@pytest.fixture(params=REGIONS)
def balancer_client(fleet, request):
    with ollama.Client(host=fleet.balancer(request.param), timeout=120, trust_env=False) as client:
        yield client


def test_ollama_client_chat_streams(balancer_client):
    """R-LLM-6: `client.chat(stream=True)` through a balancer."""
    parts = list(balancer_client.chat(CHAT_MODEL, [{"role": "user", "content": "Hi"}], stream=True, options=SHORT))
    assert parts[-1].done is True and parts[-1].eval_count >= 1
    assert "".join(part.message.content for part in parts).strip()


def test_ollama_client_generate(balancer_client):
    """R-LLM-6: `client.generate` through a balancer."""
    reply = balancer_client.generate(CHAT_MODEL, "The sky is", options=SHORT)
    assert reply.done is True and reply.response.strip()


def test_ollama_client_embed(balancer_client):
    """R-LLM-6: `client.embed` with all-minilm through a balancer."""
    reply = balancer_client.embed(EMBED_MODEL, ["hello", "world"])
    assert len(reply.embeddings) == 2 and all(len(vector) == EMBED_DIMENSIONS for vector in reply.embeddings)


def test_ollama_client_list(balancer_client):
    """R-LLM-6: `client.list` through a balancer names the default models."""
    names = {model_key(model.model) for model in balancer_client.list().models}
    assert set(DEFAULT_MODELS) <= names, sorted(names)


# --- the conversations routes before their service exists (R-API-1) -------------------------


def test_conversations_need_a_token_and_the_owners_uid(fleet, user):
    """R-API-1, R-AUTH-6: `/conversations/...` is authorised like every route (401 with the
    API-Gateway-shaped message), and a uid other than the caller's is refused (403)."""
    unauthorised = fleet.call_edge("GET", "/conversations/someone")
    assert unauthorised.status_code == 401 and isinstance(unauthorised.json().get("message"), str)
    response = fleet.call_edge("GET", "/conversations/someone", token=user.id_token, bearer=True)
    assert response.status_code == 403, response.text
    assert "your own conversations" in response.json()["error"]
