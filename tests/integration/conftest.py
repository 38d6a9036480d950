"""Fixtures for the worker integration tests: the real `cakap worker`, real models.

Prerequisites (the README's test command provides them; missing ones FAIL, never skip):
- the binary at $CAKAP_BIN (default <repo>/.build/debug/cakap);
- `cakap setup` done: the store $CAKAP_HOME/models (default ~/.cache/cakap/models)
  holding smollm2:135m and all-minilm:latest, and the llama-server engine in $CAKAP_HOME.

Tests never write to the setup store: each worker gets a temporary store, either empty
(it pulls from the test registry, which serves the setup store read-only) or filled
with hard links (copies across file systems) of the setup store's manifests and blobs.
Every worker talks to a loopback registry only; with no registry it gets an unreachable
loopback address, so no test can reach the internet.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ollama
import pytest
import requests

REPO_ROOT = Path(__file__).resolve().parents[2]

from cakap_testing.registry import RegistryServer
from cakap_testing.ports import free_ports  # noqa: F401 (tests import it from here)

CHAT_MODEL = "smollm2:135m"
EMBED_MODEL = "all-minilm:latest"
EMBED_DIMENSIONS = 384
REQUIRED_MODELS = (CHAT_MODEL, EMBED_MODEL)

READY_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
REQUEST_TIMEOUT = (5.0, 120.0)  # connect, read (per chunk)
UNREACHABLE_REGISTRY = "http://127.0.0.1:9"  # discard port: fails fast, never leaves the host

_LIVE_WORKERS: list[Worker] = []


# --- paths ------------------------------------------------------------------


def cakap_bin() -> Path:
    path = Path(os.environ.get("CAKAP_BIN", ".build/debug/cakap")).expanduser()
    return path if path.is_absolute() else REPO_ROOT / path


def cakap_home() -> Path:
    return Path(os.environ.get("CAKAP_HOME", "~/.cache/cakap")).expanduser()


def split_name(model: str) -> tuple[str, str, str]:
    """Returns (namespace, name, tag) for an Ollama model name like `smollm2:135m`."""
    repository, _, tag = model.partition(":")
    namespace, _, name = repository.rpartition("/")
    return namespace or "library", name, tag or "latest"


def manifest_path(store: Path, model: str, host: str = "registry.ollama.ai") -> Path:
    namespace, name, tag = split_name(model)
    return store / "manifests" / host / namespace / name / tag


def manifest_digests(manifest: Path) -> list[tuple[str, int]]:
    """Returns (digest, size) of the config and every layer of a manifest."""
    document = json.loads(manifest.read_text())
    entries = [document["config"], *document["layers"]]
    return [(entry["digest"], int(entry["size"])) for entry in entries]


def blob_path(store: Path, digest: str) -> Path:
    return store / "blobs" / digest.replace(":", "-")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def populate_store(store: Path, source: Path, models: tuple[str, ...]) -> Path:
    """Fills `store` with `models` from `source` by hard links (copies when linking fails)."""
    for model in models:
        manifest = manifest_path(source, model)
        target = manifest_path(store, model)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(manifest, target)  # copied: a worker may rewrite a manifest in its store
        for digest, _ in manifest_digests(manifest):
            destination = blob_path(store, digest)
            destination.parent.mkdir(parents=True, exist_ok=True)
            if destination.exists():
                continue
            try:
                os.link(blob_path(source, digest), destination)
            except OSError:
                shutil.copy2(blob_path(source, digest), destination)
    return store


# --- processes --------------------------------------------------------------


def _proc_stat(pid: int) -> tuple[int, int] | None:
    """Returns (parent pid, start time in clock ticks) of a process, or None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), int(fields[19])


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def descendants(root: int) -> list[tuple[int, int]]:
    """Returns (pid, start time) of every live descendant of `root`, found through /proc."""
    parents: dict[int, list[tuple[int, int]]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _proc_stat(int(entry.name))
            if stat:
                parents.setdefault(stat[0], []).append((int(entry.name), stat[1]))
    found: list[tuple[int, int]] = []
    pending = [root]
    while pending:
        for child in parents.get(pending.pop(), []):
            found.append(child)
            pending.append(child[0])
    return found


def kill_leftovers(children: list[tuple[int, int]]) -> None:
    """SIGKILLs the processes of `descendants()` that still run (the same start time: not a reused pid)."""
    for pid, started in children:
        stat = _proc_stat(pid)
        if stat and stat[1] == started:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def stop_process(process: subprocess.Popen, timeout: float) -> None:
    """SIGTERM, then SIGKILL after `timeout`; then kills any child (an engine) it left behind."""
    children = descendants(process.pid) if process.poll() is None else []
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)
    kill_leftovers(children)


def is_llama_server(pid: int) -> bool:
    try:
        if Path(f"/proc/{pid}/comm").read_text().strip() == "llama-server":
            return True
    except OSError:
        return False
    return any(Path(part).name == "llama-server" for part in _cmdline(pid)[:2])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the worker -------------------------------------------------------------


class Worker:
    """One `cakap worker` process on a free loopback port, logging to a file."""

    def __init__(self, models: Path, log_path: Path, env: dict[str, str]) -> None:
        self.models = models
        self.log_path = log_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = env
        self.process: subprocess.Popen | None = None
        self.http = requests.Session()
        self.http.trust_env = False  # never route loopback traffic through a proxy

    def start(self) -> Worker:
        command = [
            str(cakap_bin()), "worker",
            "--host", "127.0.0.1", "--port", str(self.port), "--models", str(self.models),
        ]  # fmt: skip
        log = self.log_path.open("ab")
        log.write(f"$ {' '.join(command)}\n".encode())
        log.flush()
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=self.env)
        log.close()
        _LIVE_WORKERS.append(self)
        self.wait_ready()
        return self

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        """Polls `GET /` until it answers 200, failing with the log if the worker dies or is late."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"cakap worker exited with {self.process.returncode} before ready\n{self.log_tail()}")
            try:
                if self.http.get(self.url + "/", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        pytest.fail(f"cakap worker not answering GET / after {timeout:.0f} s\n{self.log_tail()}")

    def client(self, timeout: float = 120.0) -> ollama.Client:
        return ollama.Client(host=self.url, timeout=timeout, trust_env=False)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.http.get(self.url + path, timeout=kwargs.pop("timeout", REQUEST_TIMEOUT), **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.http.post(self.url + path, timeout=kwargs.pop("timeout", REQUEST_TIMEOUT), **kwargs)

    def loaded_models(self) -> list[str]:
        response = self.get("/api/ps")
        assert response.status_code == 200, response.text
        return [entry.get("model") or entry.get("name") for entry in response.json()["models"]]

    def llama_servers(self) -> list[int]:
        """Pids of the worker's llama-server descendants."""
        return [pid for pid, _ in descendants(self.process.pid) if is_llama_server(pid)]

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no worker log)"
        return f"--- last {lines} lines of {self.log_path} ---\n" + "\n".join(text[-lines:])

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after a bound; then kills any engine the worker left behind."""
        if self.process is None:
            return
        stop_process(self.process, STOP_TIMEOUT)
        self.http.close()
        if self in _LIVE_WORKERS:
            _LIVE_WORKERS.remove(self)


class WorkerFactory:
    """Starts workers for one fixture scope and stops them all at its end."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.workers: list[Worker] = []

    def new_store(self, models: tuple[str, ...] = ()) -> Path:
        """An empty store, or one holding `models` linked from the setup store."""
        store = Path(os.path.realpath(self.directory)) / f"store-{len(list(self.directory.glob('store-*')))}"
        store.mkdir()
        (store / "blobs").mkdir()
        (store / "manifests").mkdir()
        return populate_store(store, cakap_home() / "models", models)

    def __call__(
        self,
        models: Path | None = None,
        registry: RegistryServer | None = None,
        env: dict[str, str] | None = None,
    ) -> Worker:
        """Starts a worker on `models` (default: a store with the chat and embedding models)."""
        store = models if models is not None else self.new_store(REQUIRED_MODELS)
        environment = dict(os.environ)
        environment["CAKAP_REGISTRY"] = registry.url if registry else UNREACHABLE_REGISTRY
        environment["CAKAP_LOG_DIR"] = str(self.directory / f"engine-logs-{len(self.workers)}")
        environment.update(env or {})
        log = self.directory / f"worker-{len(self.workers)}.log"
        worker = Worker(store, log, environment)
        self.workers.append(worker)
        return worker.start()

    def stop_all(self) -> None:
        for worker in reversed(self.workers):
            worker.stop()


# --- fixtures ---------------------------------------------------------------


@pytest.fixture(scope="session")
def cakap_binary() -> Path:
    path = cakap_bin()
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(
            f"cakap binary not found at {path} (set CAKAP_BIN or build it); the test command builds it "
            "and runs `cakap setup` before these tests",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def setup_store(cakap_binary: Path) -> Path:
    """The store `cakap setup` fills; read-only for the tests."""
    store = cakap_home() / "models"
    missing = [model for model in REQUIRED_MODELS if not manifest_path(store, model).is_file()]
    if missing:
        pytest.fail(
            f"setup store {store} lacks {', '.join(missing)}: run `cakap setup` first (CAKAP_HOME={cakap_home()})",
            pytrace=False,
        )
    for model in REQUIRED_MODELS:
        for digest, _ in manifest_digests(manifest_path(store, model)):
            if not blob_path(store, digest).is_file():
                pytest.fail(f"setup store {store} lacks blob {digest} of {model}: rerun `cakap setup`", pytrace=False)
    return store


@pytest.fixture(scope="session")
def registry(setup_store: Path) -> Iterator[RegistryServer]:
    """An unthrottled test registry serving the setup store."""
    with RegistryServer(setup_store) as server:
        yield server


@pytest.fixture
def registry_factory(setup_store: Path) -> Iterator:
    """Starts registries over the setup store with options (throttle, interrupt_after)."""
    started: list[RegistryServer] = []

    def make(**options: Any) -> RegistryServer:
        server = RegistryServer(setup_store, **options).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def worker_factory(setup_store: Path, tmp_path: Path) -> Iterator[WorkerFactory]:
    """Workers that live for one test."""
    factory = WorkerFactory(tmp_path)
    try:
        yield factory
    finally:
        factory.stop_all()


@pytest.fixture(scope="module")
def module_worker_factory(setup_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerFactory]:
    """Workers shared by the tests of one module."""
    factory = WorkerFactory(tmp_path_factory.mktemp("workers"))
    try:
        yield factory
    finally:
        factory.stop_all()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Attaches the tail of every live worker's log to a failed test's report."""
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for worker in _LIVE_WORKERS:
            report.sections.append((f"cakap worker :{worker.port} log", worker.log_tail()))


# --- assertions shared by the tests -----------------------------------------


DURATION_FIELDS = ("total_duration", "load_duration", "prompt_eval_duration", "eval_duration")
COUNT_FIELDS = ("prompt_eval_count", "eval_count")


def assert_final_stats(final: dict[str, Any], wall_seconds: float) -> None:
    """The last object of a chat/generate reply: done, done_reason, integer nanosecond stats."""
    assert final.get("done") is True, final
    assert isinstance(final.get("done_reason"), str) and final["done_reason"], final
    for field in DURATION_FIELDS + COUNT_FIELDS:
        value = final.get(field)
        assert isinstance(value, int) and not isinstance(value, bool), f"{field} = {value!r} in {final}"
        assert value >= 0, f"{field} = {value!r}"
    assert final["eval_count"] >= 1 and final["eval_duration"] > 0, final
    wall_ns = wall_seconds * 1e9
    # Nanoseconds, not micro- or milliseconds: the server's total is most of the wall time we saw.
    assert 0.1 * wall_ns <= final["total_duration"] <= 1.05 * wall_ns + 50e6, (final["total_duration"], wall_ns)
    assert final["eval_duration"] <= final["total_duration"], final


def read_ndjson(response: requests.Response) -> list[dict[str, Any]]:
    return [json.loads(line) for line in response.iter_lines() if line.strip()]
