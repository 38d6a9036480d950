"""Section `overhead`: what `cakap lb` and `cakap edge` add to a small request (`/api/version`)
and to a streamed chat's first token, against the worker directly and against HAProxy with the
same path rules (generated from config/topology.json)."""

from __future__ import annotations

import random
import shlex
import statistics
import time

from anchors import haproxy_config
from environment import sign_in
from loadgen import concurrent_streams, fixed_rate, saturation, stream
from processes import free_port, http
from sections_generation import PROMPT, MemorySampler
from stats import Spread, percentile

TARGETS = ["direct", "lb", "haproxy", "edge"]
SLOTS = 2  # the worker's default CAKAP_NUM_PARALLEL


def start_chain(bench) -> dict:
    """Worker → balancer and HAProxy (every pool to the one worker) → edge (in front of the balancer)."""
    services, cakap = bench.services, bench.cakap
    worker_port, lb_port, admin_port, haproxy_port, edge_port = (free_port() for _ in range(5))
    worker = services.start("worker", [cakap, "worker", "--host", "127.0.0.1", "--port", str(worker_port)], env={
        "CAKAP_NUM_THREADS": str(bench.options.threads), "CAKAP_NUM_PARALLEL": str(SLOTS), "CAKAP_KEEP_ALIVE": "-1",
        "CAKAP_LOG_DIR": str(bench.folder)})
    worker_url = f"http://127.0.0.1:{worker_port}"
    worker.wait_http(worker_url + "/")
    pools = [f"--pool={pool}={worker_url}@a" for pool in ("chat", "scoring", "llm")]
    lb = services.start("lb", [cakap, "lb", "--region", "us-east-1", "--port", str(lb_port), "--admin-port", str(admin_port),
                               "--topology", str(bench.topology), *pools, *shlex.split(bench.options.lb_arguments)])
    config = bench.folder / "haproxy.cfg"
    config.write_text(haproxy_config(bench.topology, haproxy_port, {p: [f"127.0.0.1:{worker_port}"] for p in ("chat", "scoring", "llm")}))
    haproxy = services.start("haproxy", [bench.anchors.haproxy, "-f", str(config), "-db"], env=bench.anchors.env)
    identity = bench.folder / "identity-overhead"
    edge = services.start("edge", [cakap, "edge", "--port", str(edge_port), "--data", str(identity),
                                   "--region", f"us-east-1=http://127.0.0.1:{lb_port}",
                                   "--throttle-rate", "1000000", "--throttle-burst", "1000000",
                                   *shlex.split(bench.options.edge_arguments)])
    urls = {"direct": worker_url, "lb": f"http://127.0.0.1:{lb_port}", "haproxy": f"http://127.0.0.1:{haproxy_port}",
            "edge": f"http://127.0.0.1:{edge_port}"}
    lb.wait_http(urls["lb"] + "/")
    haproxy.wait_http(urls["haproxy"] + "/")
    edge.wait_http(urls["edge"] + "/healthz")
    _, token = sign_in(cakap, urls["edge"], identity)
    return {"urls": urls, "token": token, "config": config}


def version_url(chain: dict, target: str) -> tuple[str, dict]:
    if target == "edge":
        return chain["urls"]["edge"] + "/us-east-1/version", {"Authorization": chain["token"]}
    return chain["urls"][target] + "/api/version", {}


def chat_url(chain: dict, target: str) -> tuple[str, dict]:
    if target == "edge":
        return chain["urls"]["edge"] + "/us-east-1/chat", {"Authorization": chain["token"]}
    return chain["urls"][target] + "/api/chat", {}


def busy_worker(bench, chain: dict, chat_body: dict) -> dict:
    """More chats at once through the balancer than the worker has slots (the tutor's load test
    logged `getConnectionFromPoolTimeout` and flapping health there): how many chats failed, and
    how often the balancer marked its one worker unhealthy, per run."""
    count = bench.options.busy_chats
    body = {**chat_body, "options": {**chat_body["options"], "num_predict": bench.scale(full=32, quick=16)}}
    log = bench.services.find("lb").log_path
    failed, flaps = [], []
    for _ in range(min(bench.runs, 2)):  # a count, not a timing: two runs show whether it repeats
        before = log.read_text(errors="replace").count("target unhealthy")
        streams, _ = concurrent_streams(count, lambda _: stream(chain["urls"]["lb"] + "/api/chat", body), tolerate=True)
        time.sleep(2.5)  # a failed health check shows within two intervals
        failed.append(count - len(streams))
        flaps.append(log.read_text(errors="replace").count("target unhealthy") - before)
    return {"chats": count, "slots": SLOTS, "failed": failed, "unhealthy_marks": flaps}


def run_overhead(bench) -> dict:
    chain = start_chain(bench)
    for target in TARGETS:  # warm: connections, the token cache, the chat model's engine
        url, headers = version_url(chain, target)
        assert http("GET", url, headers=headers)[0] == 200, f"{target}: /api/version"
    chat_body = {"model": bench.options.model, "messages": [{"role": "user", "content": PROMPT}],
                 "options": {"num_predict": 4, "temperature": 0, "seed": 1}}
    url, headers = chat_url(chain, "direct")
    stream(url, chat_body, headers)
    bench.memory_idle.update({k: v for k, v in bench.services.memory().items() if k in ("lb", "edge", "haproxy")})

    rates = bench.options.rates
    seconds = bench.scale(full=3, quick=1)
    per_run: dict = {str(rate): {t: {"p50": [], "p99": [], "errors": 0} for t in TARGETS} for rate in rates}
    saturated: dict = {t: [] for t in TARGETS}
    saturation_errors = {t: 0 for t in TARGETS}
    ttft: dict = {t: [] for t in TARGETS}
    shuffler = random.Random(8)
    with MemorySampler(bench.services) as sampler:
        for _ in range(bench.runs):
            for rate in rates:
                for target in shuffler.sample(TARGETS, len(TARGETS)):
                    url, headers = version_url(chain, target)
                    result = fixed_rate(url, rate, seconds, connections=64, headers=headers)
                    slot = per_run[str(rate)][target]
                    slot["p50"].append(percentile(result.latencies_ms, 50))
                    slot["p99"].append(percentile(result.latencies_ms, 99))
                    slot["errors"] += result.errors
            for target in shuffler.sample(TARGETS, len(TARGETS)):
                url, headers = version_url(chain, target)
                rate, failed = saturation(bench.anchors.wrk, bench.anchors.env, url, seconds + 1, headers=headers)
                saturated[target].append(rate)
                saturation_errors[target] += failed
            for target in shuffler.sample(TARGETS, len(TARGETS)):
                url, headers = chat_url(chain, target)
                samples = [stream(url, chat_body, headers).ttft * 1000 for _ in range(bench.scale(full=3, quick=2))]
                ttft[target].append(statistics.median(samples))
    bench.memory_loaded.update({k: v for k, v in sampler.peak.items() if k in ("lb", "edge", "haproxy")})
    busy = busy_worker(bench, chain, chat_body)

    def added(values: dict, key: str, target: str) -> dict:
        return Spread.of([v - d for v, d in zip(values[target][key], values["direct"][key])]).as_dict()

    latency = {}
    for rate in rates:
        values = per_run[str(rate)]
        latency[str(rate)] = {
            target: {"p50_ms": Spread.of(values[target]["p50"]).as_dict(), "p99_ms": Spread.of(values[target]["p99"]).as_dict(),
                     "errors": values[target]["errors"],
                     **({"added_p50_ms": added(values, "p50", target), "added_p99_ms": added(values, "p99", target)}
                        if target != "direct" else {})}
            for target in TARGETS
        }  # fmt: skip
        # The edge's own share: the edge path (edge → lb → worker) less the balancer path of the same run.
        latency[str(rate)]["edge"]["own_p50_ms"] = Spread.of(
            [e - b for e, b in zip(values["edge"]["p50"], values["lb"]["p50"])]).as_dict()
        latency[str(rate)]["edge"]["own_p99_ms"] = Spread.of(
            [e - b for e, b in zip(values["edge"]["p99"], values["lb"]["p99"])]).as_dict()
    return {
        "seconds_per_rate": seconds, "rates": rates, "latency": latency,
        "saturation_rps": {t: Spread.of(v).as_dict() for t, v in saturated.items()}, "saturation_errors": saturation_errors,
        "saturation_ratio_lb_haproxy": [lb / hp for lb, hp in zip(saturated["lb"], saturated["haproxy"])],
        "chat_ttft_ms": {t: Spread.of(v).as_dict() for t, v in ttft.items()},
        "chat_ttft_added_ms": {t: Spread.of([v - d for v, d in zip(ttft[t], ttft["direct"])]).as_dict() for t in TARGETS if t != "direct"},
        "busy_worker": busy, "haproxy_config": chain["config"].read_text(),
    }  # fmt: skip


def overhead_section(bench) -> None:
    try:
        bench.section("overhead", lambda: run_overhead(bench))
    finally:
        bench.services.stop_all()
