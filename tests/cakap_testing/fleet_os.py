"""The operating-system side of the fleet tests: processes in /proc (trees, start times, who
listens on a port), killing a process tree, free loopback ports and the fleet's port plan.

Linux only (/proc). The process-tree walk, `is_llama_server` and the paths of the binary and the
setup store are the worker tests' own, loaded from tests/integration/conftest.py under another
module name so that both suites share one implementation.
"""

from __future__ import annotations

import importlib.util
import os
import random
import signal
import socket
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]  # tests/cakap_testing/fleet_os.py


def _load_worker_helpers():
    spec = importlib.util.spec_from_file_location(
        "cakap_integration_helpers", REPO_ROOT / "tests" / "integration" / "conftest.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


worker_helpers = _load_worker_helpers()
descendants = worker_helpers.descendants
is_llama_server = worker_helpers.is_llama_server


# --- /proc -------------------------------------------------------------------


def proc_info(pid: int) -> tuple[str, int, int] | None:
    """(state letter, parent pid, start time in clock ticks) of a process, or None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return fields[0], int(fields[1]), int(fields[19])


def alive(pid: int, started: int | None = None) -> bool:
    """Whether the process runs (zombies count as gone), and is the one started at `started`."""
    info = proc_info(pid)
    return bool(info) and info[0] != "Z" and (started is None or info[2] == started)


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def all_pids() -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]


def has_live_cakap_ancestor(pid: int) -> bool:
    info = proc_info(pid)
    while info and info[1] > 1:
        if comm(info[1]) == "cakap" and alive(info[1]):
            return True
        info = proc_info(info[1])
    return False


def kill_tree(pid: int) -> list[tuple[int, int]]:
    """SIGKILLs `pid`, waits until it is gone, gives its descendants 3 s to follow (workers start
    their engines with a parent-death signal), then SIGKILLs any left. Returns those that outlived it."""
    children = descendants(pid)
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not alive(pid), timeout=10)
    wait_until(lambda: not any(alive(child, started) for child, started in children), timeout=3)
    survivors = [(child, started) for child, started in children if alive(child, started)]
    for child, _ in survivors:
        try:
            os.kill(child, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return survivors


def wait_until(condition, timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return bool(condition())


# --- ports -------------------------------------------------------------------


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/")[0])


def fleet_port_plan(base: int, workers: int, regions: int) -> dict[str, list[int]]:
    """The ports `cakap up --base-port base --edge-port base+300` may use: workers from the base,
    balancers at +100, admin ports at +200 (the defaults 11500/11600/11700 keep these offsets),
    PostgreSQL and the conversations service at +301 and +302."""
    return {
        "workers": list(range(base, base + workers)),
        "balancers": [base + 100 + index for index in range(regions)],
        "admin": [base + 200 + index for index in range(regions)],
        "edge": [base + 300],
        "postgres": [base + 301],
        "conversations": [base + 302],
        "tutor": [base + 303],
    }


def choose_base_port(workers: int, regions: int, rng: random.Random | None = None, attempts: int = 200) -> int:
    """A base port whose whole plan is free on loopback, away from the defaults and ephemeral range."""
    rng = rng or random.Random(os.getpid() ^ time.time_ns())
    for _ in range(attempts):
        base = rng.randrange(20000, 30000, 10)
        if all(port_is_free(port) for ports in fleet_port_plan(base, workers, regions).values() for port in ports):
            return base
    raise RuntimeError("no free port range for a fleet")


def listening_inodes(port: int) -> set[str]:
    """Socket inodes listening on `port` (IPv4 or IPv6), from /proc/net/tcp*."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    return inodes


def listener_pid(port: int, candidates: list[int]) -> int | None:
    """Which of `candidates` holds the socket listening on `port`."""
    wanted = {f"socket:[{inode}]" for inode in listening_inodes(port)}
    for pid in candidates:
        try:
            for descriptor in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    if os.readlink(descriptor) in wanted:
                        return pid
                except OSError:
                    continue
        except OSError:
            continue
    return None
