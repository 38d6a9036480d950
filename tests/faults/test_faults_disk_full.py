"""The model store's disk fills up during a pull: a 48 MiB tmpfs as the worker's store, and a
98 MB model from the test registry (tests/support/registry.py, Ollama's protocol on loopback).

Proves the pull rules of R-LLM-6 / docs/worker-api.md ("manifest written last") under the
issue-9 scenario "the model store's disk filling during a pull — a clean error and no
half-written manifest".
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import CHAT_MODEL, Processes, RegistryServer, free_port, http_session

STORE_SIZE = "48m"  # smaller than smollm2:135m's 98 MB weights blob


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of STORE_SIZE holding an empty model store; unmounted at the end."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={STORE_SIZE},mode=0755", "tmpfs", str(mount_point)],
                   check=True, capture_output=True, timeout=30)  # fmt: skip
    try:
        for folder in ("blobs", "manifests"):
            (mount_point / folder).mkdir()
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True, timeout=30)


@pytest.fixture
def registry(setup_store: Path) -> Iterator[RegistryServer]:
    with RegistryServer(setup_store) as server:
        yield server


def test_a_full_disk_during_a_pull_is_a_clean_error_with_no_manifest(processes: Processes, small_disk, registry):
    """Issue 9, R-LLM-6: pulling a 98 MB model into a 48 MiB store → the stream ends with one
    `{"error": ...}` line naming the lack of space (no `success`), no manifest is written, the
    worker still answers and lists no model, and the partial blob was removed so the disk is not
    left full (for every worker of a shared store)."""
    port = free_port()
    worker = processes.start("worker", ["worker", "--port", str(port), "--models", str(small_disk)],
                             env={"CAKAP_REGISTRY": registry.url})  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    worker.wait_http(url + "/")
    http = http_session()
    with http.post(url + "/api/pull", json={"model": CHAT_MODEL, "insecure": True}, stream=True,
                   timeout=(5, 120)) as response:  # fmt: skip
        status = response.status_code
        lines = [json.loads(line) for line in response.iter_lines() if line.strip()]
    final = lines[-1] if lines else {}
    print(f"status {status}, {len(lines)} lines, last: {final}")
    print("worker log:", worker.log_tail(8))
    assert not any(line.get("status") == "success" for line in lines), lines[-3:]
    assert isinstance(final.get("error"), str), lines[-3:]
    assert "no space left on device" in final["error"], final
    assert "Domain=" not in final["error"] and "UserInfo" not in final["error"], f"not a clean error: {final}"
    manifests = [path for path in (small_disk / "manifests").rglob("*") if path.is_file()]
    assert manifests == [], f"a manifest was written: {manifests}"
    tags = http.get(url + "/api/tags", timeout=10)
    assert tags.status_code == 200 and tags.json()["models"] == [], tags.text
    left = sorted((path.name, path.stat().st_size) for path in (small_disk / "blobs").iterdir())
    print("blobs left:", left)
    used = sum(size for _, size in left)
    assert used < 8 << 20, f"{used} bytes of partial blobs keep the disk full: {left}"
    assert worker.process.poll() is None
