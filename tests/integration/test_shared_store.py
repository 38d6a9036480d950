"""Two workers on one model directory pull the same model at the same time.

Proves R-LLM-6 ("concurrent pulls share progress") and R-LLM-4 ("afterwards every worker
lists the same models"): the registry sends each blob once, both pulls succeed, both
workers list the model, and every stored blob hashes to its digest. The registry is
throttled so that the two pulls overlap.
"""

from __future__ import annotations

import threading
import time

from conftest import CHAT_MODEL, blob_path, manifest_digests, manifest_path, read_ndjson, sha256_file

THROTTLE = 40 * 1024 * 1024  # bytes per second: the ~98 MB model takes ~2.5 s


def test_two_workers_pull_one_model_once(worker_factory, registry_factory, setup_store):
    """R-LLM-6, R-LLM-4: concurrent pulls into a shared store download each blob once."""
    registry = registry_factory(throttle=THROTTLE)
    store = worker_factory.new_store()
    workers = [worker_factory(models=store, registry=registry) for _ in range(2)]

    results: dict[int, object] = {}
    barrier = threading.Barrier(len(workers))

    def pull(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            started = time.monotonic()
            with workers[index].post(
                "/api/pull", json={"model": CHAT_MODEL, "insecure": True}, stream=True, timeout=(5, 60)
            ) as response:
                results[index] = (response.status_code, read_ndjson(response), time.monotonic() - started)
        except Exception as error:  # noqa: BLE001 (reported below, on the test thread)
            results[index] = error

    threads = [threading.Thread(target=pull, args=(index,)) for index in range(len(workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a pull did not finish within 120 s"

    for index in range(len(workers)):
        result = results.get(index)
        assert isinstance(result, tuple), f"worker {index} pull failed: {result!r}"
        status, lines, _ = result
        assert status == 200
        assert not any("error" in line for line in lines), [line for line in lines if "error" in line]
        assert lines[-1] == {"status": "success"}, lines[-3:]
        # The waiting worker reports the downloader's progress, so both streams show the blobs.
        assert any(line.get("digest") for line in lines), f"worker {index} reported no blob progress"

    stats = registry.stats()["blobs"]
    for digest, size in manifest_digests(manifest_path(setup_store, CHAT_MODEL)):
        blob = stats.get(digest)
        assert blob is not None, f"{digest} never downloaded"
        assert blob["bytes"] == size, f"{digest}: {blob['bytes']} bytes sent for a {size}-byte blob: {blob}"
        whole = [request for request in blob["requests"] if request["method"] == "GET" and not request["range"]]
        assert len(whole) <= 1, f"{digest} downloaded whole {len(whole)} times"
        assert sha256_file(blob_path(store, digest)) == digest

    for worker in workers:
        tags = worker.get("/api/tags").json()["models"]
        assert CHAT_MODEL in {model["model"] for model in tags}, tags
