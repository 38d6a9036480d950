"""Processes `cakap bench` starts: each logs to a file in the run folder, every one is stopped
at the end (SIGTERM to its process group, SIGKILL after a grace period), even when a section
fails or the run is interrupted. Resident memory is read from /proc (VmRSS).
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

# Loopback only (the bench never sends traffic elsewhere); no proxy for it.
for _name in ("NO_PROXY", "no_proxy"):
    os.environ[_name] = ",".join(filter(None, [os.environ.get(_name), "127.0.0.1", "localhost"]))
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class BenchError(Exception):
    """A step of the bench could not be done (a server did not start, a request failed)."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http(method: str, url: str, body: dict | bytes | None = None, headers: dict | None = None, timeout: float = 30):
    """One request; returns (status, bytes). HTTP errors are answers, not exceptions."""
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def open_stream(url: str, body: dict, headers: dict | None = None, timeout: float = 300):
    """A POST whose response is read line by line by the caller (NDJSON or SSE)."""
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
    return _OPENER.open(request, timeout=timeout)


def proc_kib(pid: int, file: str, field: str) -> int | None:
    """A `Field:   N kB` line of /proc/<pid>/<file>; None when the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/{file}").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def resident_kib(pid: int) -> int | None:
    """VmRSS of one process in KiB."""
    return proc_kib(pid, "status", "VmRSS")


def proportional_kib(pid: int) -> int | None:
    """Pss of one process in KiB (its share of pages shared with others)."""
    return proc_kib(pid, "smaps_rollup", "Pss")


def children(pid: int) -> list[int]:
    """Direct children of a process (from /proc/<pid>/task/*/children)."""
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            found.extend(int(child) for child in text)
    except OSError:
        pass
    return found


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, breadth first."""
    found, queue = [], [pid]
    while queue:
        for child in children(queue.pop(0)):
            found.append(child)
            queue.append(child)
    return found


class Service:
    """One started program (a cakap subcommand, llama-server, haproxy)."""

    def __init__(self, name: str, argv: list[str], folder: Path, env: dict[str, str] | None = None) -> None:
        self.name = name
        self.argv = argv
        self.log_path = folder / f"{name}.log"
        self.env = {**os.environ, **(env or {})}
        self.process: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> Service:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            env=self.env, start_new_session=True)
        return self

    def wait_until(self, check, what: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if check():
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise BenchError(f"{self.name}: {what} not seen after {timeout:.0f} s:\n{self.log_tail()}")

    def wait_http(self, url: str, timeout: float = 120) -> None:
        self.wait_until(lambda: http("GET", url, timeout=2)[0] == 200, f"200 from {url}", timeout)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, grace: float = 20) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            pass
        try:  # the group: a worker's llama-server children too
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            pass


class ServiceSet:
    """Every service of a run, stopped in reverse start order by `stop_all` (idempotent)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.services: list[Service] = []
        self.commands: list[str] = []  # every command started, for the report

    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> Service:
        shown = {key: value for key, value in (env or {}).items() if key.startswith("CAKAP_") and "LOG_DIR" not in key}
        self.commands.append(" ".join([*(f"{k}={v}" for k, v in shown.items()), *map(shlex.quote, argv)]))
        service = Service(name, argv, self.folder, env).start()
        self.services.append(service)
        return service

    def find(self, name: str) -> Service:
        return next(service for service in self.services if service.name == name)

    def stop(self, service: Service) -> None:
        service.stop()
        if service in self.services:
            self.services.remove(service)

    def stop_all(self) -> None:
        for service in reversed(self.services):
            service.stop()
        self.services.clear()

    def memory(self) -> dict[str, int]:
        """Resident memory (KiB) of each running service and of its descendants grouped by
        program name as `<service>/<program>` (a worker's llama-server engines, PostgreSQL's
        processes). A single process counts its VmRSS; a group of several (PostgreSQL's backends
        share their buffers) counts the sum of their Pss, so shared pages are not counted twice."""
        result: dict[str, int] = {}
        for service in self.services:
            if service.process is None or service.process.poll() is not None:
                continue
            rss = resident_kib(service.pid)
            if rss is not None:
                result[service.name] = rss
            groups: dict[str, list[int]] = {}
            for pid in descendants(service.pid):
                try:
                    command = Path(f"/proc/{pid}/comm").read_text().strip()
                except OSError:
                    continue
                if command in ("runuser", "sh", "bash"):
                    continue
                groups.setdefault(command, []).append(pid)
            for command, pids in groups.items():
                values = [resident_kib(pid) if len(pids) == 1 else proportional_kib(pid) for pid in pids]
                values = [v for v in values if v is not None]
                if values:
                    result[f"{service.name}/{command}"] = sum(values)
        return result
