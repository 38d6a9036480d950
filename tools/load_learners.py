#!/usr/bin/env python3
"""Simulated learners against a running local stack (`cakap up`): each signs up and in through
the edge's identity provider, then, until the time is up, chats (streamed, through a region),
asks the tutor for feedback on its message and saves the conversation (POST, then PUT), with a
think time between turns. Issue 9, deliverable 2; the latest result is in docs/resilience.md.

Counts every answer; 429 and 503 are retried after `Retry-After` (documented: docs/fleet.md,
docs/worker-api.md, docs/tutor.md), as the web app's learner does with "try again", for up to
`--retry-seconds` per call; a call whose last answer is still 429/503 is counted as "busy", apart
from errors. Anything else is an error: another status, a timeout, a broken or empty stream, an
`{"error"}` line in a stream. Turns under way at the end get
`--grace` seconds; calls still waiting then are counted as "cut off at the end of the run". Reports latency percentiles per
action and the resident memory of every process of the stack, sampled through the run.

    scripts/run --small &            # or: .build/release/cakap up --small --state /tmp/up.json
    python3 tools/load_learners.py --state ~/.cache/cakap/local/state.json --learners 100 --seconds 300

Needs only `requests` (the fleet tests' virtual environment has it). Loopback only.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

PASSWORD = "Cakap-Load-7!"
CLIENT_ID = "cakapdevelopmentclient0001"
MESSAGES = [
    "Yesterday I goes to the market and buyed three mango.",
    "She don't like coffee but she drink tea every morning.",
    "I am agree with you about the weather, it is very hot today.",
    "My brother have two childs and they plays football.",
    "Can you tell me how to improve my english speaking?",
    "We was at the beach last weekend and the water were cold.",
]
RETRIED = (429, 503)


class Recorder:
    """Latencies and outcomes per action, thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.outcomes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.errors: list[str] = []
        self.replies: list[tuple[str, str]] = []  # (learner, guarded reply) samples of --partner

    def record(self, action: str, outcome: str, seconds: float | None = None, detail: str = "") -> None:
        with self.lock:
            self.outcomes[action][outcome] += 1
            if seconds is not None and outcome == "ok":  # latencies are of served calls only
                self.latencies[action].append(seconds)
            if outcome == "error" and len(self.errors) < 50:
                self.errors.append(f"{action}: {detail}")


class Learner:
    def __init__(self, edge: str, recorder: Recorder, region: str) -> None:
        self.edge = edge
        self.recorder = recorder
        self.region = region
        self.http = requests.Session()
        self.http.trust_env = False
        self.email = f"load-{uuid.uuid4().hex[:10]}@example.com"
        self.token = ""
        self.sub = ""
        self.conversation_id = str(uuid.uuid4())
        self.messages: list[dict] = []
        self.saved = False
        self.hard_deadline = float("inf")  # set by run(): no call outlives it
        self.retry_seconds = 60.0  # set by main() from --retry-seconds
        self.partner = False  # set by main() from --partner

    def idp(self, action: str, body: dict) -> requests.Response:
        headers = {"Content-Type": "application/x-amz-json-1.1",
                   "X-Amz-Target": f"AWSCognitoIdentityProviderService.{action}"}  # fmt: skip
        return self.http.post(self.edge + "/idp/", data=json.dumps(body), headers=headers, timeout=60)

    def sign_up(self) -> None:
        attributes = [{"Name": "email", "Value": self.email}, {"Name": "name", "Value": "Load"}]
        response = self.idp("SignUp", {"ClientId": CLIENT_ID, "Username": self.email, "Password": PASSWORD,
                                       "UserAttributes": attributes})  # fmt: skip
        response.raise_for_status()

    def sign_in(self) -> None:
        began = time.monotonic()
        response = self.idp("InitiateAuth", {"ClientId": CLIENT_ID, "AuthFlow": "USER_PASSWORD_AUTH",
                                             "AuthParameters": {"USERNAME": self.email, "PASSWORD": PASSWORD}})  # fmt: skip
        ok = response.status_code == 200
        self.recorder.record("sign-in", "ok" if ok else "error", time.monotonic() - began, response.text[:200])
        if ok:
            self.token = response.json()["AuthenticationResult"]["IdToken"]
            payload = self.token.split(".")[1]
            self.sub = json.loads(__import__("base64").urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"]

    def call(self, action: str, method: str, path: str, body: dict | None, stream: bool = False) -> requests.Response | None:
        """One API call with the documented retry of 429/503: after `Retry-After` (plus up to a
        second of jitter, so retries do not arrive in step), for up to `retry_seconds`."""
        first_began = time.monotonic()
        while True:
            began = time.monotonic()
            left = self.hard_deadline - began
            if left < 1:
                self.recorder.record(action, "cut off at the end of the run")
                return None
            try:
                response = self.http.request(method, self.edge + path, json=body, stream=stream,
                                             timeout=(10, min(180.0, left)),
                                             headers={"Authorization": self.token})  # fmt: skip
                if stream and response.status_code == 200:
                    first = None
                    collected = []  # the streamed reply's text, for the partner's guard
                    for line in response.iter_lines():
                        if line and first is None:
                            first = time.monotonic() - began
                            self.recorder.record(action + " first token", "ok", first)
                        if not line:
                            continue
                        # An {"error"} line, not a reply whose text is the word "error" (seen
                        # 2026-12-05: smollm2 streamed a chunk with content "error").
                        chunk = json.loads(line)
                        if "error" in chunk:
                            self.recorder.record(action, "error", None, line[:200].decode(errors="replace"))
                            return None
                        collected.append(chunk.get("message", {}).get("content", ""))
                    response.collected = "".join(collected)
                    if first is None:
                        self.recorder.record(action, "error", None, "empty stream")
                        return None
            except requests.RequestException as error:
                if time.monotonic() >= self.hard_deadline - 1:
                    self.recorder.record(action, "cut off at the end of the run")
                else:
                    self.recorder.record(action, "error", time.monotonic() - began, repr(error)[:200])
                return None
            if response.status_code in RETRIED:
                wait = float(response.headers.get("retry-after", "1") or 1) + random.uniform(0, 1)
                if time.monotonic() + wait - first_began <= self.retry_seconds:
                    self.recorder.record(action, f"retried {response.status_code}")
                    time.sleep(wait)
                    continue
                self.recorder.record(action, "busy", None, f"{response.status_code} {response.text[:160]}")
                return None
            ok = 200 <= response.status_code < 300
            detail = "" if ok else f"{response.status_code} {response.text[:160]}"  # a stream's body is consumed
            # Latency of a served call counts from its first attempt: the learner waited through the retries.
            self.recorder.record(action, "ok" if ok else "error", time.monotonic() - first_began, detail)
            return response if ok else None

    def turn(self) -> None:
        text = random.choice(MESSAGES)
        self.messages.append({"role": "user", "content": text})
        if self.partner:
            self.partner_turn()
        else:
            chat = {"model": "smollm2:135m", "messages": self.messages[-6:], "options": {"num_predict": 24}}
            if self.call("chat", "POST", f"/{self.region}/chat", chat, stream=True) is not None:
                self.messages.append({"role": "assistant", "content": "(streamed reply)"})
        self.call("feedback", "POST", "/tutor/feedback", {"text": text, "lang": "en"})
        body = {"title": "Load test chat", "conversation": self.messages[-40:]}
        if self.saved:
            self.call("save", "PUT", f"/conversations/{self.sub}/{self.conversation_id}", body)
        elif self.call("save", "POST", f"/conversations/{self.sub}", {"id": self.conversation_id, **body}):
            self.saved = True

    def partner_turn(self) -> None:
        """The web app's partner path (web/js/chat-view.js reply()): the tutor's plan, the model's
        streamed reply with the plan's prompt and sampling, then the tutor's guard. "partner reply"
        is what the learner waits for: from asking the plan to reading the guarded text (issue 17)."""
        began = time.monotonic()
        body = {"conversation": self.messages[-40:], "level": "A2"}
        plan = self.call("partner plan", "POST", "/tutor/partner", body)
        if plan is None:
            return
        plan = plan.json()
        chat = {"model": "smollm2:135m", "messages": plan["messages"], "stream": True,
                "options": {"num_predict": 120, **plan.get("options", {})}}  # fmt: skip
        streamed = self.call("chat", "POST", f"/{self.region}/chat", chat, stream=True)
        if streamed is None:
            return
        guarded = self.call("partner guard", "POST", "/tutor/partner", {**body, "reply": streamed.collected})
        if guarded is None:
            return
        reply = guarded.json().get("reply", "")
        self.recorder.record("partner reply", "ok" if reply.strip() else "error", time.monotonic() - began,
                             "" if reply.strip() else "the guarded reply is empty")  # fmt: skip
        self.messages.append({"role": "assistant", "content": reply})
        with self.recorder.lock:
            if len(self.recorder.replies) < 12:
                self.recorder.replies.append((self.messages[-2]["content"], reply))

    def run(self, deadline: float, think: tuple[float, float], grace: float) -> None:
        self.hard_deadline = deadline + grace
        time.sleep(random.uniform(0, think[1]))  # spread the starts
        while time.monotonic() < deadline:
            self.turn()
            time.sleep(random.uniform(*think))


def confirm(cakap: str, data: str, emails: list[str]) -> None:
    for email in emails:
        subprocess.run([cakap, "users", "confirm", email, "--data", data], check=True, capture_output=True, timeout=60)


def stack_pids(state: dict) -> dict[int, str]:
    """Every process of the stack: `cakap up`'s descendants (found through the workers' parent)."""
    roots = set()
    for region in state["regions"].values():
        for workers in region["pools"].values():
            for worker in workers:
                stat = Path(f"/proc/{worker['pid']}/stat").read_text()
                roots.add(int(stat[stat.rindex(")") + 2 :].split()[1]))
    children = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                children[int(stat[stat.rindex(")") + 2 :].split()[1])].append(int(entry.name))
            except OSError:
                pass
    found, stack = {}, list(roots)
    while stack:
        pid = stack.pop()
        try:
            command = (Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") + [b""])[:2]
        except OSError:
            continue
        name = Path(command[0].decode()).name
        if not name:  # a process exiting between the listing and the read
            continue
        found[pid] = name + (" " + command[1].decode() if name == "cakap" else "")
        stack += children[pid]
    return found


def resident_mebibytes(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def sample_memory(state: dict, stop: threading.Event, every: float, samples: list) -> None:
    while not stop.is_set():
        by_kind: dict[str, float] = defaultdict(float)
        for pid, kind in stack_pids(state).items():
            by_kind[kind] += resident_mebibytes(pid)
        samples.append((time.time(), dict(by_kind)))
        stop.wait(every)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def report(recorder: Recorder, samples: list, arguments: argparse.Namespace, wall: float) -> dict:
    actions = {}
    for action in sorted(set(recorder.outcomes) | set(recorder.latencies)):
        latencies = recorder.latencies.get(action, [])
        actions[action] = {
            "outcomes": dict(recorder.outcomes.get(action, {})),
            "count": len(latencies),
            "p50": percentile(latencies, 0.5), "p90": percentile(latencies, 0.9), "p95": percentile(latencies, 0.95),
            "p99": percentile(latencies, 0.99),
            "max": max(latencies) if latencies else float("nan"),
            "mean": statistics.fmean(latencies) if latencies else float("nan"),
        }  # fmt: skip
    memory = {}
    if len(samples) >= 2:
        kinds = sorted({kind for _, sample in samples for kind in sample})
        third = max(1, len(samples) // 3)
        for kind in kinds:
            first = statistics.fmean(sample.get(kind, 0) for _, sample in samples[:third])
            last = statistics.fmean(sample.get(kind, 0) for _, sample in samples[-third:])
            memory[kind] = {"first_third_mib": round(first, 1), "last_third_mib": round(last, 1),
                            "max_mib": round(max(sample.get(kind, 0) for _, sample in samples), 1)}  # fmt: skip
    errors = sum(outcomes.get("error", 0) for outcomes in recorder.outcomes.values())
    return {"learners": arguments.learners, "seconds": arguments.seconds, "wall_seconds": round(wall, 1),
            "think_seconds": arguments.think, "errors": errors, "error_samples": recorder.errors[:20],
            "actions": actions, "memory": memory, "memory_samples": len(samples)}  # fmt: skip


def markdown(result: dict) -> str:
    lines = [f"{result['learners']} learners for {result['seconds']} s (wall {result['wall_seconds']} s), "
             f"think time {result['think_seconds']} s: **{result['errors']} errors**; latencies are of served calls, "
             "from the first attempt", "",
             "| action | ok | retried (429/503) | busy after retrying | errors | cut off at the end | p50 s | p90 s | p95 s | p99 s | max s |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for action, data in result["actions"].items():
        outcomes = data["outcomes"]
        retried = sum(count for outcome, count in outcomes.items() if outcome.startswith("retried"))
        lines.append(f"| {action} | {outcomes.get('ok', 0)} | {retried} | {outcomes.get('busy', 0)} | "
                     f"{outcomes.get('error', 0)} | {outcomes.get('cut off at the end of the run', 0)} | "
                     f"{data['p50']:.2f} | {data['p90']:.2f} | {data['p95']:.2f} | {data['p99']:.2f} | {data['max']:.2f} |")  # fmt: skip
    lines += ["", "| process | RSS first third MiB | last third MiB | max MiB |", "|---|---|---|---|"]
    for kind, data in result["memory"].items():
        lines.append(f"| {kind} | {data['first_third_mib']} | {data['last_third_mib']} | {data['max_mib']} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--state", required=True, help="cakap up's state file (--state)")
    parser.add_argument("--cakap", default=str(Path(__file__).resolve().parents[1] / ".build/debug/cakap"))
    parser.add_argument("--learners", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--think", type=float, nargs=2, default=(5.0, 15.0), help="think time range between turns")
    parser.add_argument("--grace", type=float, default=60, help="seconds a turn under way may finish after the end")
    parser.add_argument("--retry-seconds", type=float, default=60,
                        help="how long one call keeps retrying 429/503 before it counts as busy")
    parser.add_argument("--partner", action="store_true",
                        help="chat through the partner's path as the web app does (plan, stream, guard)")
    parser.add_argument("--output", help="write the JSON result here")
    arguments = parser.parse_args()
    state = json.loads(Path(arguments.state).read_text())
    edge = state["edge"].rstrip("/")
    recorder = Recorder()
    regions = list(state["regions"])
    learners = [Learner(edge, recorder, regions[index % len(regions)]) for index in range(arguments.learners)]
    for learner in learners:
        learner.retry_seconds = arguments.retry_seconds
        learner.partner = arguments.partner
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(Learner.sign_up, learners))
    confirm(arguments.cakap, state["identity"]["dataDirectory"], [learner.email for learner in learners])
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(Learner.sign_in, learners))
    samples: list = []
    stop = threading.Event()
    sampler = threading.Thread(target=sample_memory, args=(state, stop, 10.0, samples), daemon=True)
    sampler.start()
    began = time.monotonic()
    deadline = began + arguments.seconds
    threads = [threading.Thread(target=learner.run, args=(deadline, tuple(arguments.think), arguments.grace),
                                daemon=True) for learner in learners if learner.token]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, deadline + arguments.grace + 15 - time.monotonic()))
    stop.set()
    sampler.join(timeout=15)
    result = report(recorder, samples, arguments, time.monotonic() - began)
    if arguments.output:
        Path(arguments.output).write_text(json.dumps(result, indent=2))
    print(markdown(result))
    for learner_text, reply in recorder.replies:
        print(f"\n> learner: {learner_text}\n> partner: {reply}")
    for sample in result["error_samples"]:
        print("error:", sample, file=sys.stderr)
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
