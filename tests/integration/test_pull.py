"""Pull, copy and delete through the official client, into a worker's own empty store.

Proves R-LLM-6 (`POST /api/pull` with `insecure` and `stream`, a progress stream) and
R-LLM-4 (a pulled model is listed and usable). The test registry serves the setup store.
Tests run in file order: the later ones use the model the first one pulls.
"""

from __future__ import annotations

import json

import ollama
import pytest
from conftest import CHAT_MODEL, EMBED_MODEL, blob_path, manifest_digests, manifest_path, sha256_file

COPY_NAME = "smollm2-copy:latest"


@pytest.fixture(scope="module")
def store(module_worker_factory):
    return module_worker_factory.new_store()


@pytest.fixture(scope="module")
def worker(module_worker_factory, store, registry):
    return module_worker_factory(models=store, registry=registry)


@pytest.fixture(scope="module")
def client(worker):
    with worker.client() as client:
        yield client


def listed(client: ollama.Client) -> set[str]:
    return {model.model for model in client.list().models}


def test_store_starts_empty(client):
    """The worker starts on an empty store and lists nothing."""
    assert listed(client) == set()


def test_pull_streams_progress_and_stores_verified_blobs(client, store, setup_store, registry):
    """R-LLM-6: `POST /api/pull` (insecure, streamed) reports Ollama's progress lines, stores the
    manifest under registry.ollama.ai and blobs whose sha256 matches their digest."""
    registry.reset_stats()
    progress = [part.model_dump(exclude_none=True) for part in client.pull(CHAT_MODEL, insecure=True, stream=True)]
    statuses = [part["status"] for part in progress]
    assert statuses[0] == "pulling manifest", statuses[:3]
    assert statuses[-1] == "success", statuses[-3:]
    assert "verifying sha256 digest" in statuses and "writing manifest" in statuses
    assert statuses.index("verifying sha256 digest") < statuses.index("writing manifest") < len(statuses) - 1

    source = manifest_path(setup_store, CHAT_MODEL)
    for digest, size in manifest_digests(source):
        lines = [part for part in progress if part.get("digest") == digest]
        assert lines, f"no progress for {digest}"
        assert all(part["status"] == f"pulling {digest.split(':')[1][:12]}" for part in lines), lines[:2]
        assert all(part.get("total") == size for part in lines), lines[:2]
        completed = [part.get("completed", 0) for part in lines]
        assert completed == sorted(completed) and completed[-1] == size, completed[-3:]

    stored = manifest_path(store, CHAT_MODEL)
    assert stored.is_file(), f"manifest not at {stored}"
    assert json.loads(stored.read_text()) == json.loads(source.read_text())
    stats = registry.stats()["blobs"]
    for digest, size in manifest_digests(stored):
        assert sha256_file(blob_path(store, digest)) == digest
        assert stats[digest]["bytes"] == size, (digest, stats[digest])
    assert listed(client) == {CHAT_MODEL}


def test_pulled_model_answers(client):
    """R-LLM-4: a pulled model is usable at once."""
    reply = client.chat(CHAT_MODEL, messages=[{"role": "user", "content": "Hi"}], options={"num_predict": 4})
    assert reply.done and reply.eval_count >= 1


def test_pull_without_streaming(client, store):
    """R-LLM-6: `stream: false` answers one `{"status": "success"}`."""
    result = client.pull(EMBED_MODEL, insecure=True, stream=False)
    assert result.status == "success"
    assert listed(client) == {CHAT_MODEL, EMBED_MODEL}
    for digest, _ in manifest_digests(manifest_path(store, EMBED_MODEL)):
        assert sha256_file(blob_path(store, digest)) == digest


def test_pull_again_downloads_nothing(client, registry):
    """R-LLM-6: pulling a model already present verifies it without downloading blobs again."""
    registry.reset_stats()
    assert client.pull(CHAT_MODEL, insecure=True).status == "success"
    assert sum(blob["bytes"] for blob in registry.stats()["blobs"].values()) == 0


def test_pull_unknown_model_fails(client):
    """R-LLM-6: a model the registry lacks is an error, not a success."""
    with pytest.raises(ollama.ResponseError):
        client.pull("no-such-model:1b", insecure=True, stream=False)
    with pytest.raises(ollama.ResponseError):
        list(client.pull("no-such-model:1b", insecure=True, stream=True))


def test_copy_then_delete(client, store):
    """R-LLM-6: `/api/copy` adds a name for the same blobs; `/api/delete` removes a name and
    keeps blobs another model still uses; deleting an unknown name is 404."""
    assert client.copy(CHAT_MODEL, COPY_NAME).status == "success"
    assert listed(client) == {CHAT_MODEL, EMBED_MODEL, COPY_NAME}
    assert client.show(COPY_NAME).details.format == "gguf"
    reply = client.generate(COPY_NAME, prompt="Hi", options={"num_predict": 4})
    assert reply.done

    assert client.delete(COPY_NAME).status == "success"
    assert listed(client) == {CHAT_MODEL, EMBED_MODEL}
    assert not manifest_path(store, COPY_NAME).exists()
    for digest, _ in manifest_digests(manifest_path(store, CHAT_MODEL)):
        assert blob_path(store, digest).is_file(), f"{digest} deleted while {CHAT_MODEL} uses it"

    with pytest.raises(ollama.ResponseError) as raised:
        client.delete(COPY_NAME)
    assert raised.value.status_code == 404


def test_delete_last_name(client, store):
    """R-LLM-6: deleting the last name of a model removes it from the list; `show` is then 404.

    Unlike Ollama, the worker keeps unreferenced blobs for a grace period (another worker
    sharing the store may be about to use them), so the blob files are not checked here."""
    assert client.delete(EMBED_MODEL).status == "success"
    assert listed(client) == {CHAT_MODEL}
    assert not manifest_path(store, EMBED_MODEL).exists()
    with pytest.raises(ollama.ResponseError) as raised:
        client.show(EMBED_MODEL)
    assert raised.value.status_code == 404
