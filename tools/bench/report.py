"""The markdown report of `cakap bench` (docs/benchmarks.md) from the run's JSON document.
Pure: a document in, text out (the smoke tier checks its sections)."""

from __future__ import annotations

import json

from stats import Spread, format_number, format_ratio, goal_text, ratio

SECTION_TITLES = {
    "stream": "1. Worker vs engine: one stream",
    "concurrency": "2. Concurrent chats",
    "overhead": "3. Balancer and edge overhead",
    "conversations": "4. Conversations API",
    "tutor": "5. Tutor feedback",
    "memory": "6. Resident memory",
}


def spread(figure: dict, digits: int = 1) -> str:
    return Spread(figure["min"], figure["median"], figure["max"], figure["runs"]).text(digits)


def median(figure: dict) -> float:
    return figure["median"]


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|",
            *("| " + " | ".join(row) + " |" for row in rows), ""]


def goals(results: dict) -> list[list[str]]:
    """Each goal of the issue: what it asks, the measured figure (medians of the runs), verdict."""
    rows = []
    stream = results.get("stream")
    if stream:
        value = ratio(median(stream["worker"]["decode_tokens_per_second"]), median(stream["engine"]["decode_tokens_per_second"]))
        rows.append(["worker ÷ engine, decode tokens/s", "≥ 0.97", format_ratio(value), goal_text(value >= 0.97)])
    concurrency = results.get("concurrency")
    if concurrency and "4" in concurrency["levels"] and "1" in concurrency["levels"]:
        levels = concurrency["levels"]
        value = ratio(median(levels["4"]["worker"]["total_tokens_per_second"]), median(levels["1"]["worker"]["total_tokens_per_second"]))
        engine = ratio(median(levels["4"]["engine"]["total_tokens_per_second"]), median(levels["1"]["engine"]["total_tokens_per_second"]))
        rows.append(["4 chats ÷ 1 chat, worker total tokens/s", "≥ 1.70", f"{format_ratio(value)} (engine alone {format_ratio(engine)})",
                     goal_text(value >= 1.7)])
    overhead = results.get("overhead")
    if overhead and "500" in overhead["latency"]:
        at500 = overhead["latency"]["500"]
        for target, name in (("lb", "balancer"), ("edge", "edge (+ balancer)")):
            p50, p99 = median(at500[target]["added_p50_ms"]), median(at500[target]["added_p99_ms"])
            rows.append([f"{name}: added p50 at 500 req/s", "≤ 0.5 ms", f"{p50:.2f} ms", goal_text(p50 <= 0.5)])
            rows.append([f"{name}: added p99 at 500 req/s", "≤ 3 ms", f"{p99:.2f} ms", goal_text(p99 <= 3)])
        if "own_p50_ms" in at500["edge"]:
            p50, p99 = median(at500["edge"]["own_p50_ms"]), median(at500["edge"]["own_p99_ms"])
            rows.append(["edge alone (edge path − balancer path): added p50 at 500 req/s", "≤ 0.5 ms", f"{p50:.2f} ms",
                         goal_text(p50 <= 0.5)])
            rows.append(["edge alone (edge path − balancer path): added p99 at 500 req/s", "≤ 3 ms", f"{p99:.2f} ms",
                         goal_text(p99 <= 3)])
        saturation = overhead["saturation_rps"]
        value = ratio(median(saturation["lb"]), median(saturation["haproxy"]))
        rows.append(["balancer saturation ÷ HAProxy", "≥ 0.5", format_ratio(value), goal_text(value >= 0.5)])
        busy = overhead.get("busy_worker")
        if busy:
            failed, marks = sum(busy["failed"]), sum(busy["unhealthy_marks"])
            rows.append([f"{busy['chats']} chats at once through the balancer to one worker (beyond the issue)",
                         "0 failed, no health flap", f"{failed} failed, {marks} flaps (all runs)", goal_text(failed == 0 and marks == 0)])
    conversations = results.get("conversations")
    if conversations:
        for name, figures in conversations["operations"].items():
            value = median(figures["p99_ms"])
            rows.append([f"conversations {name} p99 at {conversations['rate']} req/s", "≤ 10 ms", f"{value:.2f} ms", goal_text(value <= 10)])
        value = median(conversations["similar"]["p95_ms"])
        rows.append([f"/similar over {conversations['vectors']:,} vectors, p95", "≤ 10 ms", f"{value:.2f} ms", goal_text(value <= 10)])
    return rows


def stream_lines(result: dict) -> list[str]:
    worker, engine = result["worker"], result["engine"]
    rows = [
        ["`cakap worker` (`/api/chat`, NDJSON)", spread(worker["decode_tokens_per_second"]), spread(worker["ttft_ms"])],
        ["`llama-server` alone (`/completion`, SSE)", spread(engine["decode_tokens_per_second"]), spread(engine["ttft_ms"])],
        ["ratio worker ÷ engine (medians)",
         format_ratio(ratio(median(worker["decode_tokens_per_second"]), median(engine["decode_tokens_per_second"]))),
         format_ratio(ratio(median(worker["ttft_ms"]), median(engine["ttft_ms"])))],
    ]  # fmt: skip
    return [f"Model `{result['model']}`, {result['threads']} threads, {result['parallel']} slots of {result['context_per_slot']} tokens, "
            f"{result['tokens']} tokens per answer at temperature 0, the same templated prompt; the two alternate which goes first.", "",
            *table(["", "decode tokens/s", "time to first token, ms"], rows)]


def concurrency_lines(result: dict) -> list[str]:
    levels = result["levels"]
    base = {name: median(levels["1"][name]["total_tokens_per_second"]) for name in ("worker", "engine")} if "1" in levels else {}
    rows = []
    for level, figures in levels.items():
        worker, engine = figures["worker"], figures["engine"]
        rows.append([level, spread(worker["total_tokens_per_second"]), spread(engine["total_tokens_per_second"]),
                     format_ratio(ratio(median(worker["total_tokens_per_second"]), median(engine["total_tokens_per_second"]))),
                     format_ratio(ratio(median(worker["total_tokens_per_second"]), base.get("worker"))),
                     format_ratio(ratio(median(engine["total_tokens_per_second"]), base.get("engine"))),
                     f"{spread(worker['ttft_p50_ms'], 0)} / {spread(worker['ttft_p95_ms'], 0)}",
                     f"{spread(engine['ttft_p50_ms'], 0)} / {spread(engine['ttft_p95_ms'], 0)}"])
    return [f"{result['tokens_per_stream']} tokens per chat; total tokens/s = every chat's tokens ÷ the wall time from the first "
            "request to the last token. Beyond 4 chats the extra ones wait for a slot (4 slots), so their TTFT includes the wait.", "",
            *table(["chats", "worker total tok/s", "engine total tok/s", "worker ÷ engine", "worker ÷ its 1-chat", "engine ÷ its 1-chat",
                    "worker TTFT p50 / p95 ms", "engine TTFT p50 / p95 ms"], rows)]


def overhead_lines(result: dict) -> list[str]:
    names = {"direct": "worker directly", "lb": "`cakap lb` → worker", "haproxy": "HAProxy → worker",
             "edge": "`cakap edge` → `cakap lb` → worker"}
    lines = [f"`GET /api/version` (the edge: `GET /us-east-1/version` with an ID token) at fixed rates, open loop, "
             f"{result['seconds_per_rate']} s per rate and target per run; added = the target's figure minus the worker's "
             "in the same run.", ""]
    for rate, targets in result["latency"].items():
        rows = []
        for target, figures in targets.items():
            rows.append([names[target], spread(figures["p50_ms"], 2), spread(figures["p99_ms"], 2),
                         spread(figures["added_p50_ms"], 2) if "added_p50_ms" in figures else "–",
                         spread(figures["added_p99_ms"], 2) if "added_p99_ms" in figures else "–", str(figures["errors"])])
        lines += [f"**{rate} requests/s**", "", *table(["path", "p50 ms", "p99 ms", "added p50 ms", "added p99 ms", "errors"], rows)]
    saturation = result["saturation_rps"]
    errors = result.get("saturation_errors", {})
    rows = [[names[t], spread(f, 0), format_ratio(ratio(median(f), median(saturation["haproxy"]))), str(errors.get(t, 0))]
            for t, f in saturation.items()]
    lines += ["**Saturation** (`wrk`, closed loop, 32 connections, 1 thread; successful answers per second, and the failed "
              "answers of all runs)", "", *table(["path", "requests/s", "÷ HAProxy", "failed"], rows)]
    rows = [[names[t], spread(f, 1), spread(result["chat_ttft_added_ms"][t], 1) if t in result["chat_ttft_added_ms"] else "–"]
            for t, f in result["chat_ttft_ms"].items()]
    lines += ["**Streamed chat**: time to first token (median of each run's answers)", "",
              *table(["path", "TTFT ms", "added ms"], rows)]
    busy = result.get("busy_worker")
    if busy:
        lines += [f"**A busy worker**: {busy['chats']} chats at once through `cakap lb` to one worker with {busy['slots']} slots "
                  f"(the rest wait in the worker's queue): failed chats per run {busy['failed']}, times the balancer marked the "
                  f"worker unhealthy per run {busy['unhealthy_marks']}.", ""]
    return lines


def conversations_lines(result: dict) -> list[str]:
    rows = [[name, spread(f["p50_ms"], 2), spread(f["p99_ms"], 2), str(f["errors"])] for name, f in result["operations"].items()]
    similar = result["similar"]
    return [f"Open loop at {result['rate']} requests/s, {result['seconds_per_run']} s per operation and run, with an ID token "
            "(verified by the service); `put` renames a conversation.", "",
            *table(["operation", "p50 ms", "p99 ms", "errors"], rows),
            f"`GET …/{{id}}/similar?k=5` over {result['vectors']:,} vectors of one owner (HNSW index; loading took "
            f"{result['insert_seconds']:.0f} s, building the index {result['index_seconds']:.0f} s), "
            f"{similar['queries_per_run']} queries per run, one at a time: p50 {spread(similar['p50_ms'], 2)} ms, "
            f"**p95 {spread(similar['p95_ms'], 2)} ms**.", ""]


def tutor_lines(result: dict) -> list[str]:
    every = result["all_messages"]
    return [f"`POST /tutor/feedback` one message at a time (Harper and the model `{result['model']}` on one worker), "
            f"{result['messages_per_run']} learner sentences per run.", "",
            *table(["", "p50 ms", "p95 ms"], [["per run", spread(result["p50_ms"], 0), spread(result["p95_ms"], 0)],
                                              [f"all {every['count']} messages", format_number(every["p50_ms"], 0),
                                               format_number(every["p95_ms"], 0)]])]


def memory_lines(memory: dict) -> list[str]:
    names = sorted(set(memory["idle"]) | set(memory["loaded"]))
    rows = [[f"`{name}`", format_number(memory["idle"][name] / 1024, 1) if name in memory["idle"] else "–",
             format_number(memory["loaded"][name] / 1024, 1) if name in memory["loaded"] else "–"] for name in names]
    return ["VmRSS from `/proc/<pid>/status`; `<service>/<program>` is a child (a worker's `llama-server`; PostgreSQL's "
            "processes as the sum of their Pss, so shared buffers count once). Idle: started and warmed (models loaded), "
            "no traffic. Under load: the peak sampled every 0.5 s during the service's own test (workers and engines: the "
            "concurrency test; balancer, edge, HAProxy: the overhead section; conversations and PostgreSQL: the rate test; "
            "the tutor and its worker: the tutor test).", "",
            *table(["process", "idle MiB", "under load MiB"], rows)]


KEPT_MARKER = "<!-- Below this line: written by hand, kept when `cakap bench` rewrites the report. -->"


def keep_notes(previous: str | None) -> str:
    """The hand-written part of an earlier report (profiles, before/after), from the marker on."""
    if not previous or KEPT_MARKER not in previous:
        return ""
    return "\n" + previous[previous.index(KEPT_MARKER):].rstrip() + "\n"


def render(document: dict) -> str:
    facts, results = document["facts"], document["results"]
    lines = ["# Benchmarks", "",
             "Written by `cakap bench` (issue 8; `tools/bench/`). Every figure is the **median (min–max) over "
             f"{document['runs']} run{'s' if document['runs'] != 1 else ''}**, measured on the client side; anchors are measured in the "
             "same run, interleaved, because this machine's 2 cores are shared with other work and absolute times drift from "
             "minute to minute — compare the ratios, not the absolute figures, across runs.", ""]
    if document["quick"]:
        lines += ["> **Quick run** (`--quick`: one run, short durations, small data): a smoke test of the bench, not a measurement.", ""]
    lines += ["## Machine", "", *table(["", ""], [
        ["date", facts["date"]], ["CPU", f"{facts['cpu']}, {facts['cores']} cores"], ["memory", f"{facts['memory_gib']} GiB"],
        ["kernel", f"{facts['kernel']} ({facts.get('os', '')})"], ["commit", f"`{facts['commit']}`"],
        ["load average at start / end", f"{facts['load_average']} / {facts.get('load_average_end', '–')}"],
        ["anchors", f"{facts.get('haproxy', '–')}; {facts.get('wrk', '–')}"],
        ["command", f"`{document['command']}` ({document['total_s'] / 60:.1f} min)"]])]  # fmt: skip
    goal_rows = goals(results)
    if goal_rows:
        lines += ["## Goals", "", *table(["goal", "target", "measured (median)", "verdict"], goal_rows)]
    renderers = {"stream": stream_lines, "concurrency": concurrency_lines, "overhead": overhead_lines,
                 "conversations": conversations_lines, "tutor": tutor_lines}
    for name, renderer in renderers.items():
        if name in results:
            lines += [f"## {SECTION_TITLES[name]}", "", *renderer(results[name])]
        elif name in document["errors"]:
            lines += [f"## {SECTION_TITLES[name]}", "", f"Failed: `{document['errors'][name]}`", ""]
    if document["memory_kib"]["idle"] or document["memory_kib"]["loaded"]:
        lines += [f"## {SECTION_TITLES['memory']}", "", *memory_lines(document["memory_kib"])]
    lines += ["## How it was measured", "", *method_lines(document)]
    return "\n".join(lines).rstrip() + "\n"


def method_lines(document: dict) -> list[str]:
    lines = [
        "- Load generators (`tools/bench/loadgen.py`): fixed rates use our open-loop asyncio HTTP/1.1 client (64 keep-alive "
        "connections; request *i* is due at start + *i*/rate and its latency counts from then, so a stall is charged for the "
        "queue it causes — `wrk` is closed-loop and would hide it, and `wrk2` is not in Debian). Saturation uses Debian's "
        "`wrk`. Streams are read line by line (Ollama NDJSON, llama-server SSE); TTFT is from sending the request to the first "
        "non-empty token, decode tokens/s is (tokens − 1) ÷ (last token − first token).",
        "- The client runs on the same 2 cores as the servers, so every latency includes its share of scheduling; the "
        "added latency subtracts the worker-direct figure of the same run, which carries the same client cost.",
        "- HAProxy is configured from `config/topology.json`'s `albRules` (the same path rules, health checks every 1 s with "
        "2 to rise/fall, least connections), generated by `tools/bench/anchors.py`; its configuration is below.",
        "- Section durations: " + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in document["durations_s"].items()) + ".",
        f"- Raw figures: `.build/bench/*.json`; server logs of the run were in `{document['logs']}`.",
    ]
    lines += ["", "Every server started (environment, then command; ports are free loopback ports of that run):", "", "```",
              *document.get("commands", []), "```"]
    overhead = document["results"].get("overhead")
    if overhead:
        lines += ["", "HAProxy configuration used:", "", "```", overhead["haproxy_config"].rstrip(), "```"]
    if document["errors"]:
        lines += ["", "Errors:", "", "```", json.dumps(document["errors"], indent=2), "```"]
    return lines
