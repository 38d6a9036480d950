"""Issue 19 on AWS: model management (pull, create, push, delete, copy) never reaches a worker through
the ALB, and the playbook gives the designated puller exactly the fleet's models, under a size cap.

The routes come from the worker's own route table (Sources/CakapWorker/Worker+Routes.swift) and the
local edge's refusal list (Sources/CakapEdge/Edge.swift), the rules from common/fleet.yaml, and the
environment from the real worker.env.j2 rendered with the playbook's variables."""

from __future__ import annotations

import json
import re

from cfn_model import ROOT, resources, template, topology
from worker_env import playbook_variables, worker_environment

FLEET = "common/fleet.yaml"
# Ollama's model-management routes: the worker serves pull, delete and copy; create and push are
# Ollama's too, so a later worker (or a stand-in Ollama behind the ALB) must not expose them either.
MANAGEMENT = {"pull", "create", "push", "delete", "copy"}
# llama3 8B q4_0, the largest model of the brief (registry manifest: config + layers, bytes).
LLAMA3_BYTES = 4_661_224_676


def worker_routes() -> set[str]:
    """Every path the worker routes, read from its route table."""
    source = (ROOT / "Sources" / "CakapWorker" / "Worker+Routes.swift").read_text()
    return set(re.findall(r'router\.(?:get|post|put|delete|head|patch)\("([^"]+)"\)', source))


def alb_rules() -> list[dict]:
    """The listener rules of fleet.yaml, by priority, as (priority, patterns, action)."""
    rules = []
    for rule in resources(template(FLEET), "AWS::ElasticLoadBalancingV2::ListenerRule").values():
        props = rule["Properties"]
        (condition,) = props["Conditions"]
        assert condition["Field"] == "path-pattern"
        (action,) = props["Actions"]
        rules.append({"priority": props["Priority"], "patterns": condition["PathPatternConfig"]["Values"], "action": action})
    return sorted(rules, key=lambda r: r["priority"])


def alb_matches(pattern: str, path: str) -> bool:
    """ALB path-pattern matching (as Topology.matches): case-sensitive, `*` any run, `?` one character."""
    expression = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(expression, path, flags=re.DOTALL) is not None


def alb_decision(path: str) -> dict:
    """The action of the first rule whose pattern matches `path` (None: the listener's 404 default)."""
    for rule in alb_rules():
        if any(alb_matches(p, path) for p in rule["patterns"]):
            return rule["action"]
    return {"Type": "default"}


def variants(path: str) -> list[str]:
    """Spellings of `path` that the worker's router (Hummingbird skips empty segments) routes the same."""
    return [path, path + "/", "/" + path, path.replace("/", "//"), path.replace("/api/", "/api//") + "//"]


def test_issue_19_alb_refuses_model_management_before_every_forward_rule() -> None:
    """Every management route the worker serves (and Ollama's create and push), in every spelling the
    worker routes the same, gets the ALB's fixed 403 JSON: without the rule, /api/* forwards them to the
    llm pool, where any caller could fill the shared store."""
    routes = worker_routes()
    served = {r for r in routes if r.rsplit("/", 1)[-1] in MANAGEMENT}
    assert served >= {"/api/pull", "/api/delete", "/api/copy"}, routes  # the parse found the route table
    rules = alb_rules()
    refusals = [r for r in rules if r["action"]["Type"] == "fixed-response" and r["action"]["FixedResponseConfig"]["StatusCode"] == "403"]
    assert refusals and max(r["priority"] for r in refusals) < min(r["priority"] for r in rules if r["action"]["Type"] == "forward")
    for rule in refusals:
        # ALB quotas: 5 wildcards per rule, 5 match evaluations per rule (3 per condition).
        assert sum(p.count("*") + p.count("?") for p in rule["patterns"]) <= 5 and len(rule["patterns"]) <= 3
        config = rule["action"]["FixedResponseConfig"]
        assert config["ContentType"] == "application/json"
        assert "operators" in json.loads(config["MessageBody"])["error"]
    for route in sorted(served | {f"/api/{name}" for name in MANAGEMENT}):
        for path in variants(route):
            assert alb_decision(path) in [r["action"] for r in refusals], path
    # What a learner uses still reaches the pools, and the local edge refuses nothing the ALB lets through.
    for route in sorted(routes - served):
        assert alb_decision(route) not in [r["action"] for r in refusals], route
    assert alb_decision("/api/chat")["Type"] == "forward" and alb_decision("/api/tags")["Type"] == "forward"
    edge = (ROOT / "Sources" / "CakapEdge" / "Edge.swift").read_text()
    refused = set(re.findall(r'"(\w+)"', re.search(r"operatorOnlyRoutes: Set<String> = \[([^\]]*)\]", edge).group(1)))
    assert refused == MANAGEMENT
    assert [r["path"] for r in topology()["albManagementRules"]] == [p for r in refusals for p in r["patterns"]]


def model_name(text: str) -> tuple[str, str, str, str]:
    """(host, namespace, model, tag) as ModelName(parsing:) splits a name; a missing tag is `latest`."""
    rest, tag = text.strip(), "latest"
    if ":" in rest and "/" not in rest[rest.rindex(":"):]:
        rest, tag = rest[: rest.rindex(":")], rest[rest.rindex(":") + 1 :]
    parts = rest.split("/")
    host, namespace, model = {1: ["registry.ollama.ai", "library", *parts], 2: ["registry.ollama.ai", *parts], 3: parts}[len(parts)]
    assert all(re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", p) for p in (namespace, model, tag)), text
    return host.lower(), namespace.lower(), model.lower(), tag.lower()


def pull_allowed(name: str, allowlist: list[str]) -> bool:
    """Worker.isAllowed: `*` allows all; an entry without a tag allows every tag of its model."""
    if "*" in allowlist:
        return True
    wanted = model_name(name)
    for entry in allowlist:
        allowed = model_name(entry)
        names_tag = ":" in entry.split("/")[-1]
        if allowed[:3] == wanted[:3] and (not names_tag or allowed[3] == wanted[3]):
            return True
    return False


def test_issue_19_the_puller_may_pull_exactly_the_fleets_models_under_the_size_cap() -> None:
    """The rendered worker.env lets the designated puller pull every model the playbook pulls (as the pull
    task names them) and nothing else; the size cap admits llama3 and is explicit. Without the
    CAKAP_PULL_MODELS line the worker's default `*` would let any name through."""
    environment = worker_environment({"cakap_instance_name": "lks-worker-llm-a-zone-a", "cakap_pool": "llm"})
    assert "CAKAP_PULL_MODELS" in environment
    allowlist = [e.strip().lower() for e in environment["CAKAP_PULL_MODELS"].split(",") if e.strip()]
    assert "*" not in allowlist
    pulled = playbook_variables()["cakap_model_list"]
    assert pulled and all(pull_allowed(model, allowlist) for model in pulled), (pulled, allowlist)
    assert pull_allowed("llama3:8b", allowlist)  # a name without a tag allows every tag
    for name in ["mistral", "llama3.1", "llama", "evil/llama3", "orca-mini-x:latest", "gemma3:27b",
                 "registry.example.com/library/llama3", "registry.ollama.ai/someone/orca-mini"]:  # fmt: skip
        assert not pull_allowed(name, allowlist), name
    cap = int(environment["CAKAP_PULL_MAX_BYTES"])
    assert LLAMA3_BYTES < cap <= 8 << 30
    assert 1 <= int(environment["CAKAP_MAX_ENGINES"]) <= 64  # the worker's accepted range
