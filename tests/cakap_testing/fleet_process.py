"""`cakap up` as a test fixture: start it on a unique port range, read its state file, stop it,
and prove nothing it started outlives it; plus the HTTP helpers the fleet tests share."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from .fleet_os import (
    REPO_ROOT,
    alive,
    all_pids,
    choose_base_port,
    cmdline,
    comm,
    descendants,
    fleet_port_plan,
    has_live_cakap_ancestor,
    is_llama_server,
    port_of,
    proc_info,
    wait_until,
    worker_helpers,
)
from .fleet_wire import requests_by_route, target_states

cakap_bin = worker_helpers.cakap_bin
cakap_home = worker_helpers.cakap_home
manifest_path = worker_helpers.manifest_path
CHAT_MODEL = worker_helpers.CHAT_MODEL
EMBED_MODEL = worker_helpers.EMBED_MODEL
EMBED_DIMENSIONS = worker_helpers.EMBED_DIMENSIONS
UNREACHABLE_REGISTRY = worker_helpers.UNREACHABLE_REGISTRY

TOPOLOGY = json.loads((REPO_ROOT / "config" / "topology.json").read_text())
REGIONS = tuple(region["name"] for region in TOPOLOGY["regions"])
POOLS = tuple(pool["name"] for pool in TOPOLOGY["pools"])
# What `cakap setup` provisions and every worker must list (issue 3 acceptance).
DEFAULT_MODELS = ("smollm2:135m", "gemma3:270m", "all-minilm:latest")
# What `cakap up` loads into each pool's workers before it reports ready (the contract).
PRELOADED = {"chat": {CHAT_MODEL}, "scoring": {CHAT_MODEL}, "llm": {EMBED_MODEL, CHAT_MODEL}}

START_TIMEOUT = 180.0
STOP_TIMEOUT = 45.0
REQUEST_TIMEOUT = (5.0, 120.0)  # connect, read (per chunk)

LIVE_FLEETS: list[Fleet] = []


# --- the fleet -----------------------------------------------------------------


@functools.cache
def up_options() -> frozenset[str]:
    """The long options `cakap up --help` lists."""
    result = subprocess.run([str(cakap_bin()), "up", "--help"], capture_output=True, text=True, timeout=30)
    return frozenset(re.findall(r"--[a-z][a-z-]+", result.stdout + result.stderr))


@dataclass
class ShutdownReport:
    """What stopping `cakap up` left behind."""

    returncode: int | None
    seconds: float
    timed_out: bool
    leftovers: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.timed_out and not self.leftovers


class Fleet:
    """One `cakap up` process on a unique loopback port range, logging to a file."""

    def __init__(self, directory: Path, small: bool = False) -> None:
        self.directory = directory
        self.small = small
        self.state_path = directory / "state.json"
        self.log_path = directory / "cakap-up.log"
        self.data = directory / "data"
        self.worker_count = len(REGIONS) * len(POOLS) * (1 if small else 2)
        self.base_port = choose_base_port(self.worker_count, len(REGIONS))
        self.edge_port = fleet_port_plan(self.base_port, self.worker_count, len(REGIONS))["edge"][0]
        self.process: subprocess.Popen | None = None
        self.started_ticks = 0
        self.state: dict[str, Any] = {}
        self.known: set[tuple[int, int]] = set()
        self.shutdown: ShutdownReport | None = None
        self.http = requests.Session()
        self.http.trust_env = False  # never route loopback traffic through a proxy

    # lifecycle

    def command(self) -> list[str]:
        plan = fleet_port_plan(self.base_port, self.worker_count, len(REGIONS))
        command = [
            str(cakap_bin()), "up", *(["--small"] if self.small else []),
            "--state", str(self.state_path), "--edge-port", str(self.edge_port),
            "--base-port", str(self.base_port), "--data", str(self.data),
        ]  # fmt: skip
        # Beyond the contract: where `up` has them, move the balancers off their fixed defaults too.
        for option, ports in (
            ("--balancer-port", plan["balancers"]),
            ("--admin-port", plan["admin"]),
            ("--postgres-port", plan["postgres"]),
            ("--conversations-port", plan["conversations"]),
        ):
            if option in up_options():
                command += [option, str(ports[0])]
        return command

    def start(self, timeout: float = START_TIMEOUT) -> Fleet:
        environment = dict(os.environ)
        environment["CAKAP_REGISTRY"] = UNREACHABLE_REGISTRY  # no test reaches the internet
        environment["CAKAP_LOG_DIR"] = str(self.directory / "engine-logs")
        command = self.command()
        with self.log_path.open("ab") as log:
            log.write(f"$ {' '.join(command)}\n".encode())
            log.flush()
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=environment)
        LIVE_FLEETS.append(self)
        self.started_ticks = proc_info(self.process.pid)[2]
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float) -> None:
        """Waits for the state file (written once everything is ready), failing with the log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"cakap up exited with {self.process.returncode} before ready\n{self.log_tail()}")
            try:
                state = json.loads(self.state_path.read_text())
                if isinstance(state, dict) and "edge" in state and "regions" in state:
                    self.state = state
                    self.snapshot()
                    return
            except (OSError, ValueError):
                pass  # not written yet, or being written
            time.sleep(0.25)
        pytest.fail(f"cakap up wrote no state file {self.state_path} within {timeout:.0f} s\n{self.log_tail()}")

    def snapshot(self) -> None:
        """Remembers every live descendant, so none can hide after shutdown."""
        if self.process and self.process.poll() is None:
            self.known.update(descendants(self.process.pid))

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> ShutdownReport:
        """Sends `sig` once, waits, SIGKILLs after the bound; reports and then removes leftovers."""
        if self.shutdown is not None:
            return self.shutdown
        began = time.monotonic()
        timed_out = False
        if self.process is not None and self.process.poll() is None:
            self.snapshot()
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                self.process.kill()
                self.process.wait(timeout=10)
        seconds = time.monotonic() - began
        leftovers = self.leftovers(grace=5.0)
        self.shutdown = ShutdownReport(
            self.process.returncode if self.process else None, seconds, timed_out, [text for _, text in leftovers]
        )
        known = {pid for pid, started in self.known if alive(pid, started)}
        for pid, _ in leftovers:
            if pid in known or self.owns(pid):  # never a process of another session
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.http.close()
        return self.shutdown

    def owns(self, pid: int) -> bool:
        """Whether a process inherited this fleet's environment (its CAKAP_LOG_DIR is ours), so
        that other sessions' processes are never reported or killed."""
        try:
            return str(self.directory).encode() in Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            return False

    def ports(self) -> set[int]:
        plan = fleet_port_plan(self.base_port, self.worker_count, len(REGIONS))
        ports = {port for values in plan.values() for port in values}
        for region in self.state.get("regions", {}).values():
            ports.update(port_of(region[key]) for key in ("balancer", "admin") if key in region)
            for workers in region.get("pools", {}).values():
                ports.update(port_of(worker["url"]) for worker in workers)
        return ports

    def leftovers(self, grace: float) -> list[tuple[int, str]]:
        """Processes this fleet started that still run: known descendants, any cakap or
        llama-server started since `cakap up` whose command line names one of its ports, and any
        llama-server with this fleet's environment and no live `cakap` ancestor (an orphan)."""
        pattern = re.compile(r"(?<![0-9])(" + "|".join(str(port) for port in sorted(self.ports())) + r")(?![0-9])")

        def scan() -> list[tuple[int, str]]:
            found: dict[int, str] = {}
            for pid, started in self.known:
                if alive(pid, started):
                    found[pid] = f"pid {pid} (descendant of cakap up): {cmdline(pid)}"
            for pid in all_pids():
                info = proc_info(pid)
                if pid in found or pid == os.getpid() or not info or info[0] == "Z" or info[2] < self.started_ticks:
                    continue
                line = cmdline(pid)
                if comm(pid) in ("cakap", "llama-server") and pattern.search(line):
                    found[pid] = f"pid {pid} (names a fleet port, parent {info[1]}): {line}"
                elif is_llama_server(pid) and self.owns(pid) and not has_live_cakap_ancestor(pid):
                    found[pid] = f"pid {pid} (orphaned llama-server, parent {info[1]}): {line}"
            return sorted(found.items())

        remaining = scan()
        deadline = time.monotonic() + grace
        while remaining and time.monotonic() < deadline:  # children may still be exiting
            time.sleep(0.25)
            remaining = scan()
        return remaining

    # the state file

    def region(self, name: str) -> dict[str, Any]:
        return self.state["regions"][name]

    def balancer(self, region: str) -> str:
        return self.region(region)["balancer"].rstrip("/")

    def admin(self, region: str) -> str:
        return self.region(region)["admin"].rstrip("/")

    def workers(self, region: str, pool: str) -> list[dict[str, Any]]:
        return self.region(region)["pools"][pool]

    def all_workers(self) -> list[tuple[str, str, dict[str, Any]]]:
        return [
            (region, pool, worker)
            for region in self.state["regions"]
            for pool, workers in self.region(region)["pools"].items()
            for worker in workers
        ]

    @property
    def edge(self) -> str:
        return self.state["edge"].rstrip("/")

    # HTTP

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        return self.http.get(url, timeout=kwargs.pop("timeout", REQUEST_TIMEOUT), **kwargs)

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        return self.http.post(url, timeout=kwargs.pop("timeout", REQUEST_TIMEOUT), **kwargs)

    def call_edge(
        self, method: str, path: str, token: str | None = None, bearer: bool = False, **kwargs: Any
    ) -> requests.Response:
        """A request to the edge; `token` goes in `Authorization`, raw or with `Bearer `."""
        headers = dict(kwargs.pop("headers", {}))
        if token is not None:
            headers["Authorization"] = f"Bearer {token}" if bearer else token
        timeout = kwargs.pop("timeout", REQUEST_TIMEOUT)
        return self.http.request(method, self.edge + path, headers=headers, timeout=timeout, **kwargs)

    def targets(self, region: str) -> dict[tuple[str, str], dict[str, Any]]:
        response = self.get(self.admin(region) + "/targets", timeout=(2, 5))
        assert response.status_code == 200, f"{region} admin /targets → {response.status_code} {response.text}"
        return target_states(response.json())

    def log_tail(self, lines: int = 80) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no cakap up log)"
        return f"--- last {lines} lines of {self.log_path} ---\n" + "\n".join(text[-lines:])


def require_setup_store() -> None:
    """Fails at once when `cakap setup` has not put the default models in the store."""
    store = cakap_home() / "models"
    missing = [model for model in DEFAULT_MODELS if not manifest_path(store, model).is_file()]
    if missing:
        pytest.fail(f"setup store {store} lacks {', '.join(missing)}: run `cakap setup` first", pytrace=False)


@contextlib.contextmanager
def running(fleet: Fleet) -> Iterator[Fleet]:
    """`fleet` started, and stopped however the tests end; the teardown fails when `cakap up` left
    anything running, unless a test has already checked the shutdown itself (`shutdown_checked`).
    The one start/stop of every tier's session fixture."""
    try:
        yield fleet.start()
    finally:
        report = fleet.stop()
        if not report.clean and not getattr(fleet, "shutdown_checked", False):
            pytest.fail(f"cakap up did not stop cleanly: {report}\n{fleet.log_tail()}", pytrace=False)


def timed_ndjson(response: requests.Response) -> list[tuple[float, dict[str, Any]]]:
    """Each NDJSON object of a streamed body with the monotonic time its last byte arrived.

    Reads byte by byte so that no read waits for bytes of a later line.
    """
    lines: list[tuple[float, dict[str, Any]]] = []
    buffer = bytearray()
    for chunk in response.iter_content(chunk_size=1):
        if chunk == b"\n":
            if buffer.strip():
                lines.append((time.monotonic(), json.loads(buffer)))
            buffer.clear()
        else:
            buffer += chunk
    if buffer.strip():
        lines.append((time.monotonic(), json.loads(buffer)))
    return lines


def model_key(name: str) -> str:
    """`all-minilm` and `all-minilm:latest` are one model."""
    return name if ":" in name.rsplit("/", 1)[-1] else name + ":latest"


def worker_counts(fleet: Fleet, route: str) -> dict[str, tuple[str, str, float]]:
    """Every worker's request count for `route`: url → (region, pool, count)."""
    counts = {}
    for region, pool, worker in fleet.all_workers():
        response = fleet.get(worker["url"] + "/metrics", timeout=(2, 5))
        assert response.status_code == 200, f"{worker['url']}/metrics → {response.status_code}"
        counts[worker["url"]] = (region, pool, requests_by_route(response.text, route))
    return counts


def served_by(fleet: Fleet, route: str, before: dict) -> dict[str, tuple[str, str, float]]:
    """The workers whose count for `route` grew since `before` (waiting briefly for the counter)."""
    grown = {}

    def changed() -> bool:
        grown.clear()
        for url, (region, pool, count) in worker_counts(fleet, route).items():
            if count > before[url][2]:
                grown[url] = (region, pool, count - before[url][2])
        return bool(grown)

    wait_until(changed, timeout=3, interval=0.2)
    return grown
