"""An interrupted pull resumes instead of starting over.

Proves R-LLM-6 ("an interrupted pull resumes"): the registry cuts the first download of
each blob after INTERRUPT_AFTER bytes; the worker (within the same pull, or on the next
pull request) continues with `Range: bytes=N-` for N > 0 and ends with a verified blob.
"""

from __future__ import annotations

import re

import requests
from conftest import CHAT_MODEL, blob_path, manifest_digests, manifest_path, read_ndjson, sha256_file

INTERRUPT_AFTER = 16 * 1024 * 1024


def test_interrupted_pull_resumes_with_a_range_request(worker_factory, registry_factory, setup_store):
    """R-LLM-6: a pull cut mid-blob resumes from where it stopped and verifies the digest."""
    registry = registry_factory(interrupt_after=INTERRUPT_AFTER)
    store = worker_factory.new_store()
    worker = worker_factory(models=store, registry=registry)

    attempts = []
    for _ in range(3):
        try:
            with worker.post(
                "/api/pull", json={"model": CHAT_MODEL, "insecure": True}, stream=True, timeout=(5, 60)
            ) as response:
                lines = read_ndjson(response)
            attempts.append((response.status_code, lines[-1:] if lines else []))
            if response.status_code == 200 and lines and lines[-1] == {"status": "success"}:
                break
        except requests.RequestException as error:
            attempts.append(repr(error))
    else:
        raise AssertionError(f"pull never succeeded: {attempts}")

    stats = registry.stats()["blobs"]
    digest, size = max(manifest_digests(manifest_path(setup_store, CHAT_MODEL)), key=lambda entry: entry[1])
    assert size > INTERRUPT_AFTER
    requests_seen = stats[digest]["requests"]
    starts = [int(m.group(1)) for r in requests_seen if r["range"] and (m := re.match(r"bytes=(\d+)-", r["range"]))]
    assert any(start > 0 for start in starts), f"no resuming Range request: {requests_seen}"
    assert stats[digest]["bytes"] < size + INTERRUPT_AFTER, f"the pull started over: {stats[digest]}"
    assert sha256_file(blob_path(store, digest)) == digest
    assert CHAT_MODEL in {model["model"] for model in worker.get("/api/tags").json()["models"]}
