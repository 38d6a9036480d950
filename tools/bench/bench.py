#!/usr/bin/env python3
"""`cakap bench`: Cakap side by side with its anchors on this machine, in one command (issue 8).

Sections (all by default; `--only` picks some): `stream` (worker vs llama-server), `concurrency`
(1, 2, 4, 8 chats), `overhead` (balancer and edge vs direct and HAProxy), `conversations`,
`tutor`; resident memory is sampled in each. Every server is started here on loopback on free
ports and stopped at the end, also on failure or Ctrl-C. Writes the markdown report (`--output`,
default docs/benchmarks.md) and the raw figures as JSON (`--raw`, default .build/bench/).

    cakap bench [--quick] [--only stream,concurrency] [--output FILE]
    python3 tools/bench/bench.py --cakap .build/release/cakap [same options]

Standard library only (no virtual environment needed); `haproxy` and `wrk` are taken from PATH
or unpacked from Debian's packages into $CAKAP_HOME (tools/bench/anchors.py).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from anchors import provision_anchors  # noqa: E402
from environment import machine_facts  # noqa: E402
from processes import BenchError, ServiceSet  # noqa: E402
from report import keep_notes, render  # noqa: E402
from sections_generation import generation_sections  # noqa: E402
from sections_overhead import overhead_section  # noqa: E402
from sections_services import conversations_section, tutor_section  # noqa: E402

REPOSITORY = Path(__file__).resolve().parents[2]
SECTIONS = ["stream", "concurrency", "overhead", "conversations", "tutor"]


class Bench:
    """The run: options, the services started so far, and the results of each section."""

    def __init__(self, options: argparse.Namespace) -> None:
        self.options = options
        self.cakap = options.cakap
        self.quick = options.quick
        self.runs = options.runs or (1 if options.quick else 5)
        self.topology = REPOSITORY / "config" / "topology.json"
        self.folder = Path(tempfile.mkdtemp(prefix="cakap-bench-", dir="/tmp"))
        self.folder.chmod(0o755)  # as root PostgreSQL runs as an unprivileged user that must enter it
        self.services = ServiceSet(self.folder)
        self.results: dict = {}
        self.errors: dict[str, str] = {}
        self.durations: dict[str, float] = {}
        self.memory_idle: dict[str, int] = {}
        self.memory_loaded: dict[str, int] = {}
        self.anchors = None

    def scale(self, full, quick):
        return quick if self.quick else full

    def section(self, name: str, body) -> None:
        print(f"== {name} ({time.strftime('%H:%M:%S')})", flush=True)
        started = time.monotonic()
        try:
            self.results[name] = body()
        except (BenchError, OSError, AssertionError, ValueError, KeyError) as error:
            self.errors[name] = f"{type(error).__name__}: {error}"
            print(f"{name} failed: {error}", file=sys.stderr, flush=True)
            traceback.print_exc()
        self.durations[name] = time.monotonic() - started
        print(f"   {name}: {self.durations[name]:.0f} s", flush=True)


def parse(arguments: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="cakap bench", description=__doc__.split("\n")[0])
    parser.add_argument("--cakap", required=True, help="the cakap executable to measure")
    parser.add_argument("--quick", action="store_true", help="one run, short durations, small data (the smoke test)")
    parser.add_argument("--only", action="append", default=[], help=f"sections, comma-separated or repeated: {', '.join(SECTIONS)}")
    parser.add_argument("--runs", type=int, help="runs per figure (default 5; 1 with --quick)")
    parser.add_argument("--output", help="the report (default docs/benchmarks.md; with --quick .build/bench/benchmarks-quick.md, "
                        "so a smoke run never replaces the committed report)")
    parser.add_argument("--raw", default=str(REPOSITORY / ".build" / "bench"), help="folder for the raw JSON")
    parser.add_argument("--model", default="smollm2:135m", help="chat model for stream, concurrency, overhead")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads per engine (1: on a shared machine, two "
                        "llama.cpp threads wait on each other at every token whenever one is descheduled)")
    parser.add_argument("--rates", default="100,500,1000", help="fixed request rates of the overhead section")
    parser.add_argument("--conversation-rate", type=int, default=200)
    parser.add_argument("--busy-chats", type=int, default=12, help="chats at once through the balancer to one worker")
    parser.add_argument("--lb-arguments", default="", help="extra arguments of `cakap lb` (for before/after comparisons, "
                        "e.g. '--upstream-connections 8')")
    parser.add_argument("--edge-arguments", default="", help="extra arguments of the overhead section's `cakap edge` "
                        "(e.g. '--authorizer-cache-seconds 0')")
    options = parser.parse_args(arguments)
    if options.output is None:
        options.output = str(REPOSITORY / (".build/bench/benchmarks-quick.md" if options.quick else "docs/benchmarks.md"))
    options.rates = [int(rate) for rate in options.rates.split(",")]
    wanted = [name for item in options.only for name in item.split(",") if name] or SECTIONS
    unknown = set(wanted) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section {', '.join(sorted(unknown))}; choose from {', '.join(SECTIONS)}")
    options.sections = wanted
    return options


def interrupt(*_) -> None:
    """A SIGTERM ends the run like Ctrl-C: through `main`'s finally, so no server is left behind."""
    raise KeyboardInterrupt


def shown_command(arguments: list[str]) -> str:
    """The command as a person types it: `cakap bench` and the options, without the executable."""
    kept, skip = [], False
    for argument in arguments:
        if skip:
            skip = False
        elif argument == "--cakap":
            skip = True
        elif not argument.startswith("--cakap="):
            kept.append(argument)
    return shlex.join(["cakap", "bench", *kept])


def main(arguments: list[str]) -> int:
    options = parse(arguments)
    bench = Bench(options)
    started = time.monotonic()
    facts = machine_facts(REPOSITORY)
    # A parent may have left signals blocked (a Swift concurrency thread blocks almost all, and exec
    # and fork keep the mask): unblock them, or neither this run nor its servers would stop on SIGTERM.
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    signal.signal(signal.SIGTERM, interrupt)
    try:
        bench.anchors = provision_anchors()
        facts["haproxy"] = bench.anchors.version("haproxy")
        facts["wrk"] = bench.anchors.version("wrk")
        wanted = set(options.sections)
        groups = [({"stream", "concurrency"}, lambda: generation_sections(bench, wanted)),
                  ({"overhead"}, lambda: overhead_section(bench)),
                  ({"conversations"}, lambda: conversations_section(bench)), ({"tutor"}, lambda: tutor_section(bench))]
        for names, run in groups:
            if names & wanted:
                try:
                    run()
                except (BenchError, OSError, AssertionError, ValueError, KeyError) as error:  # a server that did not start
                    traceback.print_exc()
                    for name in names & wanted:
                        bench.errors.setdefault(name, f"{type(error).__name__}: {error}")
                finally:
                    bench.services.stop_all()
    except KeyboardInterrupt:
        print("interrupted; stopping every server", file=sys.stderr)
        return 130
    finally:
        bench.services.stop_all()
    facts["load_average_end"] = " ".join(f"{value:.2f}" for value in os.getloadavg())
    total = time.monotonic() - started
    document = {
        "facts": facts, "command": shown_command(arguments), "commands": bench.services.commands,
        "quick": options.quick, "runs": bench.runs, "sections": options.sections, "results": bench.results,
        "errors": bench.errors, "durations_s": bench.durations, "total_s": total,
        "memory_kib": {"idle": bench.memory_idle, "loaded": bench.memory_loaded}, "logs": str(bench.folder),
    }  # fmt: skip
    raw = Path(options.raw)
    raw.mkdir(parents=True, exist_ok=True)
    raw_file = raw / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    raw_file.write_text(json.dumps(document, indent=2))
    Path(options.output).parent.mkdir(parents=True, exist_ok=True)
    output = Path(options.output)
    output.write_text(render(document) + keep_notes(output.read_text() if output.exists() else None))
    print(f"report: {options.output}\nraw:    {raw_file}\nlogs:   {bench.folder}\ntook {total:.0f} s", flush=True)
    return 1 if bench.errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
