"""A small Ollama/OCI registry that serves models from a local store, for tests.

It implements the read side of the protocol `ollama pull` uses (see
/work/shared/notes/ollama.md): manifests by tag and blobs by digest, with Range
requests so a client can resume. It serves a directory in Ollama's on-disk
layout read-only:

    <store>/manifests/<host>/<namespace>/<name>/<tag>   JSON manifest
    <store>/blobs/sha256-<hex>                           blob

Test hooks: ``throttle`` slows every response body so that concurrent pulls
overlap; ``interrupt_after`` cuts the first GET of each blob after that many
bytes so a client has to resume; ``GET /_stats`` (or ``RegistryServer.stats()``)
counts the GET requests and body bytes sent per blob.

Standard library only. Binds to loopback only.

As a module::

    with RegistryServer(store) as registry:
        url = registry.url          # http://127.0.0.1:<port>

As a script::

    python3 tests/support/registry.py --store ~/.cache/cakap/models --port 5000
"""

from __future__ import annotations

import argparse
import hashlib
import ipaddress
import json
import re
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

MANIFEST_MEDIA_TYPE = "application/vnd.docker.distribution.manifest.v2+json"

# One path component of a repository name or tag. Rejects "..", "/", "%", and
# anything else that could escape the store.
_COMPONENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_DIGEST = re.compile(r"^sha256:([0-9a-f]{64})$")
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_CHUNK = 64 * 1024


class RangeNotSatisfiable(Exception):
    """The Range header is malformed or outside the blob."""


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """Returns the inclusive byte range ``(start, end)`` a Range header asks for.

    Returns None when there is no header (serve the whole blob). Supports
    ``bytes=N-``, ``bytes=N-M`` (M is clamped to the last byte) and the suffix
    form ``bytes=-N``. Multiple ranges are not supported. Raises
    RangeNotSatisfiable for anything else, and when the range starts at or after
    the end of the blob.
    """
    if header is None:
        return None
    match = _RANGE.match(header.strip())
    if match is None:
        raise RangeNotSatisfiable(header)
    first, last = match.groups()
    if first == "" and last == "":
        raise RangeNotSatisfiable(header)
    if first == "":
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable(header)
        return max(0, size - suffix), size - 1
    start = int(first)
    end = size - 1 if last == "" else min(int(last), size - 1)
    if start >= size or (last != "" and int(last) < start):
        raise RangeNotSatisfiable(header)
    return start, end


class _Stats:
    """Thread-safe per-blob and per-manifest request counters."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._blobs: dict[str, dict[str, Any]] = {}
        self._manifests: dict[str, dict[str, int]] = {}

    def _blob(self, digest: str) -> dict[str, Any]:
        return self._blobs.setdefault(digest, {"gets": 0, "heads": 0, "bytes": 0, "requests": []})

    def blob_request(self, digest: str, method: str, range_header: str | None, status: int) -> dict[str, Any]:
        """Counts one request and returns its record, whose "bytes" grows as the body is sent."""
        record = {"method": method, "range": range_header, "status": status, "bytes": 0}
        with self._lock:
            entry = self._blob(digest)
            entry["gets" if method == "GET" else "heads"] += 1
            entry["requests"].append(record)
        return record

    def blob_bytes(self, digest: str, record: dict[str, Any], count: int) -> None:
        with self._lock:
            self._blob(digest)["bytes"] += count
            record["bytes"] += count

    def manifest_request(self, reference: str, method: str) -> None:
        with self._lock:
            entry = self._manifests.setdefault(reference, {"gets": 0, "heads": 0})
            entry["gets" if method == "GET" else "heads"] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return json.loads(json.dumps({"blobs": self._blobs, "manifests": self._manifests}))

    def reset(self) -> None:
        with self._lock:
            self._blobs.clear()
            self._manifests.clear()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    # --- routing -----------------------------------------------------------

    def do_GET(self) -> None:
        self._route("GET")

    def do_HEAD(self) -> None:
        self._route("HEAD")

    def _route(self, method: str) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/_stats" and method == "GET":
            self._send_json(HTTPStatus.OK, self.server.stats.snapshot())
            return
        if path in ("/v2", "/v2/"):
            self._send_json(HTTPStatus.OK, {}, head=method == "HEAD")
            return
        parts = path.split("/")
        # ["", "v2", namespace, name, "manifests"|"blobs", reference]
        if len(parts) != 6 or parts[0] != "" or parts[1] != "v2":
            self._send_error(HTTPStatus.NOT_FOUND, "NOT_FOUND", "not found", method)
            return
        _, _, namespace, name, kind, reference = parts
        if not (_COMPONENT.match(namespace) and _COMPONENT.match(name)):
            self._send_error(HTTPStatus.BAD_REQUEST, "NAME_INVALID", "invalid repository name", method)
            return
        if kind == "manifests":
            self._serve_manifest(method, namespace, name, reference)
        elif kind == "blobs":
            self._serve_blob(method, reference)
        else:
            self._send_error(HTTPStatus.NOT_FOUND, "NOT_FOUND", "not found", method)

    # --- manifests ---------------------------------------------------------

    def _serve_manifest(self, method: str, namespace: str, name: str, tag: str) -> None:
        if not _COMPONENT.match(tag):
            self._send_error(HTTPStatus.BAD_REQUEST, "TAG_INVALID", "invalid tag", method)
            return
        self.server.stats.manifest_request(f"{namespace}/{name}:{tag}", method)
        manifest = self.server.find_manifest(namespace, name, tag)
        if manifest is None:
            self._send_error(
                HTTPStatus.NOT_FOUND,
                "MANIFEST_UNKNOWN",
                "manifest unknown",
                method,
                detail={"Name": f"{namespace}/{name}", "Tag": tag},
            )
            return
        body = manifest.read_bytes()
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", MANIFEST_MEDIA_TYPE)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Docker-Content-Digest", "sha256:" + hashlib.sha256(body).hexdigest())
        self.end_headers()
        if method == "GET":
            self._write_throttled(body, None, None)

    # --- blobs -------------------------------------------------------------

    def _serve_blob(self, method: str, reference: str) -> None:
        match = _DIGEST.match(reference)
        if match is None:
            self._send_error(HTTPStatus.BAD_REQUEST, "DIGEST_INVALID", "invalid digest", method)
            return
        digest = reference
        blob = self.server.store / "blobs" / f"sha256-{match.group(1)}"
        if not blob.is_file():
            self._send_error(HTTPStatus.NOT_FOUND, "BLOB_UNKNOWN", "blob unknown to registry", method, detail=digest)
            return
        size = blob.stat().st_size
        range_header = self.headers.get("Range")
        try:
            byte_range = parse_range(range_header, size)
        except RangeNotSatisfiable:
            self.server.stats.blob_request(digest, method, range_header, 416)
            self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        start, end = byte_range if byte_range else (0, size - 1)
        length = end - start + 1 if size else 0
        status = HTTPStatus.PARTIAL_CONTENT if byte_range else HTTPStatus.OK
        record = self.server.stats.blob_request(digest, method, range_header, int(status))
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(length))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Docker-Content-Digest", digest)
        if byte_range:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.end_headers()
        if method == "HEAD" or length == 0:
            return
        limit = self.server.take_interruption(digest)
        with blob.open("rb") as file:
            file.seek(start)
            self._write_throttled(file, length, (digest, record), limit)

    # --- writing -----------------------------------------------------------

    def _write_throttled(self, source, length, counted, limit: int | None = None) -> None:
        """Writes a body from bytes or a file, at most ``throttle`` bytes per second.

        ``counted`` is ``(digest, record)`` for blob bodies. When ``limit`` is
        set, the connection is closed after that many bytes (a simulated
        network failure).
        """
        throttle = self.server.throttle
        chunk_size = _CHUNK if not throttle else max(1024, min(_CHUNK, throttle // 20))
        started = time.monotonic()
        sent = 0
        remaining = len(source) if isinstance(source, bytes) else length
        while remaining > 0:
            size = min(chunk_size, remaining)
            if limit is not None:
                size = min(size, limit - sent)
            chunk = source[sent : sent + size] if isinstance(source, bytes) else source.read(size)
            if not chunk:
                break
            try:
                self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True
                return
            sent += len(chunk)
            remaining -= len(chunk)
            if counted:
                self.server.stats.blob_bytes(counted[0], counted[1], len(chunk))
            if limit is not None and sent >= limit:
                self.wfile.flush()
                self.close_connection = True
                return
            if throttle:
                ahead = sent / throttle - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)

    def _send_json(self, status: int, payload: Any, head: bool = False) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if self.path.startswith("/v2"):
            self.send_header("Docker-Distribution-API-Version", "registry/2.0")
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _send_error(self, status: int, code: str, message: str, method: str, detail: Any = None) -> None:
        error: dict[str, Any] = {"code": code, "message": message}
        if detail is not None:
            error["detail"] = detail
        self._send_json(status, {"errors": [error]}, head=method == "HEAD")

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, store: Path, throttle: int | None, interrupt_after: int | None, verbose: bool):
        super().__init__(address, _Handler)
        self.store = store
        self.throttle = throttle
        self.interrupt_after = interrupt_after
        self.verbose = verbose
        self.stats = _Stats()
        self._interrupted: set[str] = set()
        self._interrupt_lock = threading.Lock()

    def find_manifest(self, namespace: str, name: str, tag: str) -> Path | None:
        """Returns the manifest file for a name under any registry host, preferring registry.ollama.ai."""
        root = self.store / "manifests"
        preferred = root / "registry.ollama.ai" / namespace / name / tag
        if preferred.is_file():
            return preferred
        for candidate in sorted(root.glob(f"*/{namespace}/{name}/{tag}")):
            if candidate.is_file():
                return candidate
        return None

    def take_interruption(self, digest: str) -> int | None:
        """Returns the byte limit for this GET: only the first GET of each blob is cut."""
        if self.interrupt_after is None:
            return None
        with self._interrupt_lock:
            if digest in self._interrupted:
                return None
            self._interrupted.add(digest)
            return self.interrupt_after


class RegistryServer:
    """A registry over ``store`` on a loopback port, run on a background thread.

    Parameters:
        store: directory in Ollama's layout (``manifests/``, ``blobs/``), served read-only.
        host: loopback address to bind; anything else is refused. Default 127.0.0.1.
        port: port to bind; 0 (default) picks a free one, see ``port`` after start().
        throttle: body bytes per second per response; None (default) is unthrottled.
        interrupt_after: cut the first GET of each blob after this many body bytes;
            None (default) never cuts.
        verbose: log each request to stderr. Default False.
    """

    def __init__(
        self,
        store: str | Path,
        host: str = "127.0.0.1",
        port: int = 0,
        throttle: int | None = None,
        interrupt_after: int | None = None,
        verbose: bool = False,
    ) -> None:
        if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
            raise ValueError(f"the test registry binds to loopback only, not {host}")
        self.store = Path(store)
        self._address = (host, port)
        self._throttle = throttle
        self._interrupt_after = interrupt_after
        self._verbose = verbose
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        if not (self.store / "blobs").is_dir():
            raise FileNotFoundError(f"no blobs/ directory in registry store {self.store}")
        self._server = _Server(self._address, self.store, self._throttle, self._interrupt_after, self._verbose)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="test-registry", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "registry not started"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self._address[0]}:{self.port}"

    def stats(self) -> dict[str, Any]:
        """Returns ``{"blobs": {digest: {gets, heads, bytes, requests: [...]}}, "manifests": {...}}``."""
        assert self._server is not None, "registry not started"
        return self._server.stats.snapshot()

    def reset_stats(self) -> None:
        assert self._server is not None, "registry not started"
        self._server.stats.reset()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", required=True, help="model store in Ollama layout (manifests/, blobs/)")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument("--throttle", type=int, default=None, metavar="BYTES_PER_SEC", help="slow each body down")
    parser.add_argument(
        "--interrupt-after", type=int, default=None, metavar="BYTES", help="cut the first GET of each blob after BYTES"
    )
    parser.add_argument("--quiet", action="store_true", help="do not log requests")
    args = parser.parse_args()
    registry = RegistryServer(
        Path(args.store).expanduser(), args.host, args.port, args.throttle, args.interrupt_after, not args.quiet
    ).start()
    print(f"registry serving {registry.store} at {registry.url}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        registry.stop()


if __name__ == "__main__":
    main()
