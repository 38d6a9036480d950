"""Unit tests of the test registry (tests/support/registry.py), on a fake store.

The integration tests of R-LLM-6 pulls trust this server's Range handling and
download counters, so those are proven here first.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import socket
import time
from pathlib import Path

import pytest


from cakap_testing.registry import MANIFEST_MEDIA_TYPE, RangeNotSatisfiable, RegistryServer, parse_range

BLOB = bytes(range(256)) * 40  # 10,240 bytes
BLOB_HEX = hashlib.sha256(BLOB).hexdigest()
DIGEST = f"sha256:{BLOB_HEX}"


@pytest.fixture
def store(tmp_path: Path) -> Path:
    (tmp_path / "blobs").mkdir()
    (tmp_path / "blobs" / f"sha256-{BLOB_HEX}").write_bytes(BLOB)
    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "digest": DIGEST, "size": len(BLOB)},
        "layers": [{"mediaType": "application/vnd.ollama.image.model", "digest": DIGEST, "size": len(BLOB)}],
    }
    path = tmp_path / "manifests" / "registry.ollama.ai" / "library" / "tiny" / "latest"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(manifest))
    (tmp_path / "secret").write_text("outside the blobs")
    return tmp_path


@pytest.fixture
def registry(store: Path):
    with RegistryServer(store) as server:
        yield server


def request(server: RegistryServer, method: str, path: str, headers: dict | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_v2_root_answers_200(registry):
    status, _, _ = request(registry, "GET", "/v2/")
    assert status == 200


def test_manifest_by_tag(registry, store):
    status, headers, body = request(registry, "GET", "/v2/library/tiny/manifests/latest")
    assert status == 200
    assert headers["Content-Type"] == MANIFEST_MEDIA_TYPE
    assert body == (store / "manifests/registry.ollama.ai/library/tiny/latest").read_bytes()
    assert headers["Docker-Content-Digest"] == "sha256:" + hashlib.sha256(body).hexdigest()


def test_manifest_head_has_no_body(registry):
    status, headers, body = request(registry, "HEAD", "/v2/library/tiny/manifests/latest")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 0


def test_missing_manifest_is_oci_404(registry):
    status, _, body = request(registry, "GET", "/v2/library/tiny/manifests/nope")
    assert status == 404
    assert json.loads(body)["errors"][0]["code"] == "MANIFEST_UNKNOWN"


def test_whole_blob(registry):
    status, headers, body = request(registry, "GET", f"/v2/library/tiny/blobs/{DIGEST}")
    assert status == 200 and body == BLOB
    assert headers["Accept-Ranges"] == "bytes"


def test_blob_head(registry):
    status, headers, body = request(registry, "HEAD", f"/v2/library/tiny/blobs/{DIGEST}")
    assert status == 200 and body == b"" and headers["Content-Length"] == str(len(BLOB))


def test_open_ended_range(registry):
    status, headers, body = request(registry, "GET", f"/v2/library/tiny/blobs/{DIGEST}", {"Range": "bytes=1000-"})
    assert status == 206
    assert headers["Content-Range"] == f"bytes 1000-{len(BLOB) - 1}/{len(BLOB)}"
    assert body == BLOB[1000:]


def test_closed_range_clamped_to_size(registry):
    status, headers, body = request(registry, "GET", f"/v2/library/tiny/blobs/{DIGEST}", {"Range": "bytes=10-19"})
    assert status == 206 and body == BLOB[10:20] and headers["Content-Range"] == f"bytes 10-19/{len(BLOB)}"
    status, _, body = request(registry, "GET", f"/v2/library/tiny/blobs/{DIGEST}", {"Range": "bytes=10240-99999"})
    assert status == 416
    status, _, body = request(registry, "GET", f"/v2/library/tiny/blobs/{DIGEST}", {"Range": "bytes=10000-99999"})
    assert status == 206 and body == BLOB[10000:]


@pytest.mark.parametrize("header", ["bytes=20000-", "bytes=9-3", "bytes=a-", "items=0-1", "bytes=0-1,4-5", "bytes=-"])
def test_bad_range_is_416(registry, header):
    status, headers, _ = request(registry, "GET", f"/v2/library/tiny/blobs/{DIGEST}", {"Range": header})
    assert status == 416
    assert headers["Content-Range"] == f"bytes */{len(BLOB)}"


def test_parse_range_suffix():
    assert parse_range("bytes=-10", 100) == (90, 99)
    assert parse_range(None, 100) is None
    with pytest.raises(RangeNotSatisfiable):
        parse_range("bytes=0-", 0)


def test_missing_blob_is_404(registry):
    status, _, body = request(registry, "GET", "/v2/library/tiny/blobs/sha256:" + "0" * 64)
    assert status == 404
    assert json.loads(body)["errors"][0]["code"] == "BLOB_UNKNOWN"


@pytest.mark.parametrize(
    "path",
    [
        "/v2/library/tiny/blobs/sha256:../secret",
        "/v2/library/tiny/blobs/sha256:" + "A" * 64,
        "/v2/library/tiny/blobs/sha256:%2e%2e%2fsecret",
        "/v2/library/tiny/blobs/../../secret",
        "/v2/library/../manifests/latest",
        "/v2/library/tiny/manifests/..",
        "/v2/library/tiny/manifests/%2e%2e",
        "/v2/../../secret/manifests/latest",
    ],
)
def test_traversal_is_rejected(registry, path):
    status, _, body = request(registry, "GET", path)
    assert status in (400, 404)
    assert b"outside the blobs" not in body


def test_stats_count_gets_and_bytes(registry):
    request(registry, "GET", f"/v2/library/tiny/blobs/{DIGEST}")
    request(registry, "GET", f"/v2/library/tiny/blobs/{DIGEST}", {"Range": "bytes=10000-"})
    request(registry, "HEAD", f"/v2/library/tiny/blobs/{DIGEST}")
    request(registry, "GET", "/v2/library/tiny/manifests/latest")
    status, _, body = request(registry, "GET", "/_stats")
    assert status == 200
    stats = json.loads(body)
    assert stats == registry.stats()
    blob = stats["blobs"][DIGEST]
    assert (blob["gets"], blob["heads"], blob["bytes"]) == (2, 1, len(BLOB) + 240)
    assert [r["range"] for r in blob["requests"]] == [None, "bytes=10000-", None]
    assert stats["manifests"]["library/tiny:latest"]["gets"] == 1
    registry.reset_stats()
    assert registry.stats() == {"blobs": {}, "manifests": {}}


def test_throttle_slows_the_body(store):
    with RegistryServer(store, throttle=20_000) as server:
        started = time.monotonic()
        status, _, body = request(server, "GET", f"/v2/library/tiny/blobs/{DIGEST}")
        elapsed = time.monotonic() - started
    assert status == 200 and body == BLOB
    assert elapsed >= 0.4  # 10,240 bytes at 20,000 B/s


def test_interrupt_cuts_only_the_first_get(store):
    with RegistryServer(store, interrupt_after=4096) as server:
        with pytest.raises(http.client.IncompleteRead):
            request(server, "GET", f"/v2/library/tiny/blobs/{DIGEST}")
        status, _, body = request(server, "GET", f"/v2/library/tiny/blobs/{DIGEST}", {"Range": "bytes=4096-"})
        assert status == 206 and body == BLOB[4096:]
        # The server counts a chunk after writing it: the client can read it first. Allow it a moment.
        deadline = time.monotonic() + 2
        while server.stats()["blobs"][DIGEST]["bytes"] < len(BLOB) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert server.stats()["blobs"][DIGEST]["bytes"] == len(BLOB)


def test_refuses_non_loopback(store):
    with pytest.raises(ValueError):
        RegistryServer(store, host="0.0.0.0")


def test_stop_frees_the_port(store):
    server = RegistryServer(store).start()
    port = server.port
    server.stop()
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
