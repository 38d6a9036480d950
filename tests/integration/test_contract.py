"""Contract tests: the official Python client (ollama==0.6.3) and raw HTTP against `cakap worker`.

Proves R-LLM-4 (workers speak the Ollama HTTP API) and R-LLM-6 (tags, chat, generate,
embed, legacy embeddings with Ollama semantics). Pull, copy and delete change a store and
live in test_pull.py. One worker serves the whole module; every generation is short.
"""

from __future__ import annotations

import json
import math
import re
import time

import ollama
import pytest
from conftest import (
    CHAT_MODEL,
    EMBED_DIMENSIONS,
    EMBED_MODEL,
    assert_final_stats,
    read_ndjson,
)

SHORT = {"num_predict": 16, "temperature": 0, "seed": 7}
UNKNOWN_MODEL = "no-such-model:1b"


@pytest.fixture(scope="module")
def worker(module_worker_factory):
    return module_worker_factory()


@pytest.fixture(scope="module")
def client(worker):
    with worker.client() as client:
        yield client


def wait_for(condition, timeout: float = 15.0, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


# --- liveness, version, health, metrics (R-LLM-4) ----------------------------


def test_root_get_and_head_say_ollama_is_running(worker):
    """R-LLM-4: `GET /` and `HEAD /` answer 200 `Ollama is running`, as Ollama's liveness check."""
    response = worker.get("/")
    assert response.status_code == 200
    assert response.text == "Ollama is running"
    head = worker.http.head(worker.url + "/", timeout=5)
    assert head.status_code == 200
    assert head.content == b""


def test_version(worker):
    """R-LLM-4: `GET /api/version` → `{"version": "..."}`."""
    response = worker.get("/api/version")
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body.get("version"), str) and body["version"]


def test_health_live_and_ready(worker):
    """R-LLM-4: liveness and readiness endpoints for a balancer."""
    assert worker.get("/health/live").status_code == 200
    ready = worker.get("/health/ready")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ready"
    assert isinstance(body["loaded"], list) and isinstance(body["queue_depth"], int)


PROMETHEUS_SAMPLE = re.compile(
    r"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [-+]?([0-9.]+([eE][-+]?[0-9]+)?|NaN|[-+]?Inf)( -?\d+)?$"
)


def test_metrics_are_prometheus_text(worker):
    """R-LLM-4: `/metrics` is Prometheus text exposition."""
    worker.post("/api/generate", json={"model": CHAT_MODEL, "prompt": "Hi", "stream": False, "options": SHORT})
    response = worker.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    samples = 0
    for line in response.text.splitlines():
        if not line or line.startswith("#"):
            continue
        assert PROMETHEUS_SAMPLE.match(line), f"not a Prometheus sample: {line!r}"
        samples += 1
    assert samples > 0


# --- models: list, show, ps (R-LLM-4, R-LLM-6) --------------------------------


def test_list_has_the_store_models(client):
    """R-LLM-4/R-LLM-6: `GET /api/tags` lists every model in the worker's store."""
    models = {model.model: model for model in client.list().models}
    assert CHAT_MODEL in models and EMBED_MODEL in models, list(models)
    chat = models[CHAT_MODEL]
    assert chat.size and chat.size > 50_000_000
    assert chat.digest and re.fullmatch(r"(sha256:)?[0-9a-f]{64}", chat.digest)


def test_show(client):
    """R-LLM-6: `POST /api/show` describes a model."""
    shown = client.show(CHAT_MODEL)
    assert shown.details is not None
    assert shown.details.format == "gguf"


def test_ps_lists_a_model_after_use(client):
    """R-LLM-6: `GET /api/ps` shows the loaded model after a chat."""
    client.chat(CHAT_MODEL, messages=[{"role": "user", "content": "Hi"}], options=SHORT)
    loaded = [model.model for model in client.ps().models]
    assert CHAT_MODEL in loaded


# --- chat (R-LLM-6) ------------------------------------------------------------


MESSAGES = [
    {"role": "system", "content": "You are a helpful English tutor."},
    {"role": "user", "content": "Say hello in one short sentence."},
]


def test_chat_not_streaming(client):
    """R-LLM-6: `/api/chat` with `stream: false` answers one object with the reply and statistics."""
    reply = client.chat(CHAT_MODEL, messages=MESSAGES, stream=False, options=SHORT)
    assert reply.done is True
    assert reply.message.role == "assistant"
    assert reply.message.content.strip()
    assert 1 <= reply.eval_count <= 16


def test_chat_streaming_with_the_client(client):
    """R-LLM-6: `/api/chat` streams by default; the last chunk carries done and statistics."""
    chunks = list(client.chat(CHAT_MODEL, messages=MESSAGES, stream=True, options=SHORT))
    assert len(chunks) >= 2
    assert all(not chunk.done for chunk in chunks[:-1])
    assert chunks[-1].done is True and chunks[-1].done_reason
    assert "".join(chunk.message.content for chunk in chunks).strip()


def test_chat_stream_wire_format(worker):
    """R-LLM-6: streaming is NDJSON (`application/x-ndjson`) and the final object carries
    done, done_reason and integer nanosecond statistics."""
    started = time.monotonic()
    with worker.post(
        "/api/chat", json={"model": CHAT_MODEL, "messages": MESSAGES, "options": SHORT}, stream=True
    ) as response:
        assert response.status_code == 200
        assert response.headers["Content-Type"].split(";")[0].strip() == "application/x-ndjson"
        lines = read_ndjson(response)
    wall = time.monotonic() - started
    assert all(line["model"] == CHAT_MODEL and "message" in line for line in lines)
    assert_final_stats(lines[-1], wall)


def test_generate_stream_wire_format(worker):
    """R-LLM-6: `/api/generate` follows the same streaming rule as chat."""
    started = time.monotonic()
    with worker.post(
        "/api/generate", json={"model": CHAT_MODEL, "prompt": "Once upon a time", "options": SHORT}, stream=True
    ) as response:
        assert response.status_code == 200
        assert response.headers["Content-Type"].split(";")[0].strip() == "application/x-ndjson"
        lines = read_ndjson(response)
    wall = time.monotonic() - started
    assert len(lines) >= 2
    assert all(isinstance(line["response"], str) for line in lines)
    assert all(line["done"] is False for line in lines[:-1])
    assert_final_stats(lines[-1], wall)


def test_generate_not_streaming_has_stats(worker):
    """R-LLM-6: `stream: false` gives one object with the whole response and the statistics."""
    started = time.monotonic()
    response = worker.post(
        "/api/generate", json={"model": CHAT_MODEL, "prompt": "Once upon a time", "stream": False, "options": SHORT}
    )
    wall = time.monotonic() - started
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["response"]
    assert_final_stats(body, wall)


# --- generation options (R-LLM-6) ----------------------------------------------


def test_num_predict_limits_eval_count(client):
    """R-LLM-6: `options.num_predict` caps the generated tokens (`eval_count`)."""
    reply = client.generate(
        CHAT_MODEL, prompt="Write a long story about a dragon.", options={"num_predict": 5, "temperature": 0}
    )
    assert 1 <= reply.eval_count <= 5, reply
    if reply.eval_count == 5:
        assert reply.done_reason == "length", reply


def test_seed_and_zero_temperature_are_deterministic(client):
    """R-LLM-6: the same seed with temperature 0 gives the same output twice."""
    options = {"num_predict": 24, "temperature": 0, "seed": 42}
    prompt = "List three colours:"
    first = client.generate(CHAT_MODEL, prompt=prompt, options=options).response
    second = client.generate(CHAT_MODEL, prompt=prompt, options=options).response
    assert first and first == second


def stop_point(text: str, length: int = 3) -> int | None:
    """An offset in the middle of `text` whose `length` characters first occur there."""
    for offset in range(max(1, len(text) // 3), len(text) - length + 1):
        candidate = text[offset : offset + length]
        if candidate.strip() and text.index(candidate) == offset:
            return offset
    return None


def test_stop_sequence_ends_generation(client):
    """R-LLM-6: `options.stop` ends the output just before the stop string (done_reason `stop`)."""
    options = {"num_predict": 32, "temperature": 0, "seed": 42}
    prompt = "Write one sentence about the sea."
    baseline = client.generate(CHAT_MODEL, prompt=prompt, options=options).response
    cut = stop_point(baseline)
    assert cut is not None, f"baseline too short to choose a stop string: {baseline!r}"
    stop = baseline[cut : cut + 3]
    stopped = client.generate(CHAT_MODEL, prompt=prompt, options={**options, "stop": [stop]})
    assert stop not in stopped.response, (stop, stopped.response)
    assert stopped.response == baseline[:cut], (stop, baseline, stopped.response)
    assert stopped.done_reason == "stop"
    assert stopped.eval_count < 32


def test_generate_with_json_schema_format(client):
    """R-LLM-6: `format` as a JSON schema constrains the output; it parses and matches the schema."""
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "maxLength": 20},
            "age": {"type": "integer", "minimum": 0, "maximum": 150},
        },
        "required": ["name", "age"],
    }
    reply = client.generate(
        CHAT_MODEL,
        prompt="Describe a person called Ann who is 30 years old, as JSON with name and age.",
        format=schema,
        options={"num_predict": 64, "temperature": 0, "seed": 1},
    )
    document = json.loads(reply.response)
    assert isinstance(document, dict)
    assert isinstance(document["name"], str) and len(document["name"]) <= 20
    assert isinstance(document["age"], int) and not isinstance(document["age"], bool)
    assert 0 <= document["age"] <= 150


def test_generate_with_json_format(client):
    """R-LLM-6: `format: "json"` gives parseable JSON."""
    reply = client.generate(
        CHAT_MODEL,
        prompt='Reply with a JSON object {"ok": true}.',
        format="json",
        options={"num_predict": 32, "temperature": 0, "seed": 1},
    )
    json.loads(reply.response)


# --- embeddings (R-LLM-6) ------------------------------------------------------


def test_embed_two_texts(client):
    """R-LLM-6: `/api/embed` with a list input gives one 384-float vector per text."""
    result = client.embed(EMBED_MODEL, input=["The cat sat on the mat.", "Markets fell sharply today."])
    assert len(result.embeddings) == 2
    for vector in result.embeddings:
        assert len(vector) == EMBED_DIMENSIONS
        assert all(isinstance(value, float) for value in vector)
    assert result.embeddings[0] != result.embeddings[1]


def test_embed_single_string(client):
    """R-LLM-6: `input` may be a single string."""
    result = client.embed(EMBED_MODEL, input="Hello there.")
    assert len(result.embeddings) == 1 and len(result.embeddings[0]) == EMBED_DIMENSIONS


def test_embed_paraphrase_is_closer_than_unrelated(client):
    """R-LLM-6: the embeddings carry meaning: a paraphrase is closer than an unrelated sentence."""
    anchor, paraphrase, unrelated = client.embed(
        EMBED_MODEL,
        input=[
            "A man is playing the guitar on stage.",
            "Someone performs a song on a guitar in front of an audience.",
            "The quarterly tax report is due next Tuesday.",
        ],
    ).embeddings
    assert cosine(anchor, paraphrase) > cosine(anchor, unrelated) + 0.1


def test_legacy_embeddings(worker, client):
    """R-LLM-6: legacy `/api/embeddings` takes `prompt` and answers `embedding`, 384 floats."""
    response = worker.post("/api/embeddings", json={"model": EMBED_MODEL, "prompt": "Hello there."})
    assert response.status_code == 200, response.text
    vector = response.json()["embedding"]
    assert len(vector) == EMBED_DIMENSIONS and all(isinstance(value, float) for value in vector)
    assert len(client.embeddings(EMBED_MODEL, prompt="Hello there.").embedding) == EMBED_DIMENSIONS


# --- loading and unloading (R-LLM-6) --------------------------------------------


def test_keep_alive_zero_with_empty_prompt_unloads(worker):
    """R-LLM-6: an empty prompt with `keep_alive: 0` unloads the model (it leaves /api/ps)."""
    loaded = worker.post("/api/generate", json={"model": CHAT_MODEL, "prompt": "", "stream": False})
    assert loaded.status_code == 200, loaded.text
    assert CHAT_MODEL in worker.loaded_models()
    response = worker.post("/api/generate", json={"model": CHAT_MODEL, "keep_alive": 0, "stream": False})
    assert response.status_code == 200, response.text
    assert response.json()["done"] is True
    assert wait_for(lambda: CHAT_MODEL not in worker.loaded_models()), worker.loaded_models()


def test_empty_prompt_loads_the_model(worker):
    """R-LLM-6: an empty prompt with the default keep_alive loads the model (it appears in /api/ps)."""
    worker.post("/api/generate", json={"model": CHAT_MODEL, "keep_alive": 0, "stream": False})
    assert wait_for(lambda: CHAT_MODEL not in worker.loaded_models())
    response = worker.post("/api/generate", json={"model": CHAT_MODEL, "stream": False})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["done"] is True and body["response"] == ""
    assert CHAT_MODEL in worker.loaded_models()


# --- errors (R-LLM-4) -----------------------------------------------------------


UNKNOWN_MODEL_REQUESTS = {
    "/api/show": {"model": UNKNOWN_MODEL},
    "/api/chat": {"model": UNKNOWN_MODEL, "messages": [{"role": "user", "content": "Hi"}]},
    "/api/generate": {"model": UNKNOWN_MODEL, "prompt": "Hi"},
    "/api/embed": {"model": UNKNOWN_MODEL, "input": "Hi"},
    "/api/embeddings": {"model": UNKNOWN_MODEL, "prompt": "Hi"},
}


@pytest.mark.parametrize("path", list(UNKNOWN_MODEL_REQUESTS))
def test_unknown_model_is_404(worker, path):
    """R-LLM-4: an unknown model gives 404 `{"error": "model 'x' not found"}` (before any stream)."""
    response = worker.post(path, json=UNKNOWN_MODEL_REQUESTS[path])
    assert response.status_code == 404, response.text
    assert response.json() == {"error": f"model '{UNKNOWN_MODEL}' not found"}


def test_unknown_model_through_the_client(client):
    """R-LLM-4: the official client sees the 404 as a ResponseError."""
    with pytest.raises(ollama.ResponseError) as raised:
        client.show(UNKNOWN_MODEL)
    assert raised.value.status_code == 404
    assert raised.value.error == f"model '{UNKNOWN_MODEL}' not found"
    with pytest.raises(ollama.ResponseError) as raised:
        list(client.chat(UNKNOWN_MODEL, messages=[{"role": "user", "content": "Hi"}], stream=True))
    assert raised.value.status_code == 404


@pytest.mark.parametrize("path", ["/api/chat", "/api/generate", "/api/embed", "/api/embeddings", "/api/show"])
def test_malformed_json_is_400(worker, path):
    """R-LLM-4: a body that is not JSON gives 400 with `{"error": ...}`."""
    response = worker.post(
        path, data=b'{"model": "smollm2:135m", "prompt": ', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    body = response.json()
    assert set(body) == {"error"} and isinstance(body["error"], str) and body["error"]
