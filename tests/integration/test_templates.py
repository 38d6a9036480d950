"""Ollama library templates and chat capability (issue 17, R-LLM-4), with the real worker, the
real llama-server and the official `ollama` client.

The test registry serves models shaped like Ollama's library ones: the manifest's template and
params layers are typed out from the library (tests/support/ollama-library), the model layer is the
setup store's small GGUF. The worker pulls them, and with CAKAP_LOG_PROMPTS=1 logs the exact prompt
it sent to llama-server; the prompts must be the ones Ollama builds from those templates.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import ollama
import pytest
from conftest import CHAT_MODEL, REPO_ROOT, blob_path, cakap_home, manifest_digests, manifest_path

from cakap_testing.registry import RegistryServer

LIBRARY = REPO_ROOT / "tests" / "support" / "ollama-library"
BASE_MODEL = "gemma3:270m"

CONVERSATION = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "Hello, how are you?"},
    {"role": "assistant", "content": "I'm doing great. How can I help you today?"},
    {"role": "user", "content": "I'd like to show off how chat templating works!"},
]

# What Ollama renders for CONVERSATION with each library template (the same expectations as
# Tests/CakapWorkerTests/PromptTemplateTests.swift; llama3's is ollama/ollama's own testdata).
EXPECTED = {
    "llama3": "<|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant.<|eot_id|>"
    "<|start_header_id|>user<|end_header_id|>\n\nHello, how are you?<|eot_id|>"
    "<|start_header_id|>assistant<|end_header_id|>\n\nI'm doing great. How can I help you today?<|eot_id|>"
    "<|start_header_id|>user<|end_header_id|>\n\nI'd like to show off how chat templating works!<|eot_id|>"
    "<|start_header_id|>assistant<|end_header_id|>\n\n",
    "orca-mini": "\n### System:\nYou are a helpful assistant.\n\n### User:\nHello, how are you?\n\n### Response:\n"
    "I'm doing great. How can I help you today?"
    "\n\n### User:\nI'd like to show off how chat templating works!\n\n### Response:\n",
    "llama2": "[INST] <<SYS>>You are a helpful assistant.<</SYS>>\n\nHello, how are you? [/INST]\n"
    "I'm doing great. How can I help you today?"
    "[INST] <<SYS>><</SYS>>\n\nI'd like to show off how chat templating works! [/INST]\n",
    "gemma": "<start_of_turn>user\nYou are a helpful assistant. Hello, how are you?<end_of_turn>\n"
    "<start_of_turn>model\nI'm doing great. How can I help you today?<end_of_turn>\n"
    "<start_of_turn>user\nI'd like to show off how chat templating works!<end_of_turn>\n<start_of_turn>model\n",
    "phi3": "<|system|>\nYou are a helpful assistant.<|end|>\n<|user|>\nHello, how are you?<|end|>\n"
    "<|assistant|>\nI'm doing great. How can I help you today?<|end|>"
    "<|user|>\nI'd like to show off how chat templating works!<|end|>\n<|assistant|>\n",
}

MEDIA = {
    "template": "application/vnd.ollama.image.template",
    "params": "application/vnd.ollama.image.params",
    "system": "application/vnd.ollama.image.system",
}


def add_blob(store: Path, data: bytes) -> dict:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    path = blob_path(store, digest)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return {"digest": digest, "size": len(data)}


def library_store(directory: Path, setup_store: Path) -> Path:
    """A registry store with `library/<model>:latest` for each typed-out library model: the chat
    GGUF of the setup store as the model layer, plus that model's template, params, system layers."""
    store = directory / "library-registry"
    source = manifest_path(setup_store, CHAT_MODEL)
    model_layer = next(layer for layer in json.loads(source.read_text())["layers"]
                       if layer["mediaType"] == "application/vnd.ollama.image.model")  # fmt: skip
    target = blob_path(store, model_layer["digest"])
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(blob_path(setup_store, model_layer["digest"]), target)
    except OSError:
        shutil.copy2(blob_path(setup_store, model_layer["digest"]), target)
    for model in EXPECTED:
        layers = [model_layer]
        for kind, media_type in MEDIA.items():
            file = LIBRARY / model / kind
            if file.is_file():
                layers.append({"mediaType": media_type, **add_blob(store, file.read_bytes())})
        config = add_blob(store, json.dumps({"model_format": "gguf", "model_family": "llama", "model_families": ["llama"],
                                             "model_type": "135M", "file_type": "Q4_1"}).encode())  # fmt: skip
        manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                    "config": {"mediaType": "application/vnd.docker.container.image.v1+json", **config},
                    "layers": layers}  # fmt: skip
        path = manifest_path(store, f"{model}:latest")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(manifest))
    return store


@pytest.fixture(scope="module")
def library_registry(setup_store, tmp_path_factory):
    with RegistryServer(library_store(tmp_path_factory.mktemp("library"), setup_store)) as server:
        yield server


@pytest.fixture(scope="module")
def worker(module_worker_factory, library_registry):
    store = module_worker_factory.new_store((BASE_MODEL,)) if manifest_path(
        cakap_home() / "models", BASE_MODEL).is_file() else module_worker_factory.new_store()
    return module_worker_factory(models=store, registry=library_registry, env={"CAKAP_LOG_PROMPTS": "1"})


def logged_prompts(worker) -> list[str]:
    """The prompts the worker sent to llama-server, from its log (CAKAP_LOG_PROMPTS)."""
    prompts = []
    for line in worker.log_path.read_text(errors="replace").splitlines():
        marker = line.find("prompt [")
        if marker >= 0:
            prompts.append(json.loads(line[marker + len("prompt "):])[0])
    return prompts


@pytest.mark.parametrize("model", list(EXPECTED))
def test_a_pulled_library_model_gets_ollamas_prompt(worker, model):
    """The official client pulls a model with a library template layer and chats: the engine
    receives exactly the prompt Ollama builds, and /api/show returns the template layer."""
    client = worker.client()
    assert client.pull(model, insecure=True).status == "success"
    before = len(logged_prompts(worker))
    reply = client.chat(model, messages=CONVERSATION, options={"num_predict": 2, "temperature": 0})
    assert reply.done
    prompts = logged_prompts(worker)[before:]
    assert prompts == [EXPECTED[model]], worker.log_tail()
    shown = client.show(model)
    assert shown.template == (LIBRARY / model / "template").read_text()
    assert shown.capabilities == ["completion", "chat"]
    params = json.loads((LIBRARY / model / "params").read_text())
    for stop in params["stop"]:
        assert f'stop "{stop}"' in (shown.parameters or ""), shown.parameters


def test_the_library_models_default_system_prompt_is_used(worker):
    """orca-mini's system layer fills in when the conversation has no system message."""
    client = worker.client()
    client.pull("orca-mini", insecure=True)
    before = len(logged_prompts(worker))
    client.chat("orca-mini", messages=[{"role": "user", "content": "Hi"}], options={"num_predict": 1})
    system = (LIBRARY / "orca-mini" / "system").read_text()
    assert logged_prompts(worker)[before:] == [f"\n### System:\n{system}\n\n### User:\nHi\n\n### Response:\n"]


def test_a_base_model_is_not_offered_for_chat(worker):
    """gemma3:270m is a base model with no chat template: completion only, and /api/chat is a
    400 as Ollama answers for a model without chat; /api/tags says so too."""
    if not manifest_path(cakap_home() / "models", BASE_MODEL).is_file():
        pytest.fail(f"{BASE_MODEL} is not in the setup store: run `cakap setup`", pytrace=False)
    client = worker.client()
    assert client.show(BASE_MODEL).capabilities == ["completion"]
    with pytest.raises(ollama.ResponseError) as refused:
        client.chat(BASE_MODEL, messages=[{"role": "user", "content": "Hi"}])
    assert refused.value.status_code == 400
    assert refused.value.error == f'"{BASE_MODEL}" does not support chat'
    # A structured request (`format`) is no exception any more: the tutor's rewrite once relied on
    # one, and now asks through /api/generate, which a base model serves (issue 17).
    schema = {"type": "object", "properties": {"corrected": {"type": "string"}}, "required": ["corrected"]}
    with pytest.raises(ollama.ResponseError) as structured:
        client.chat(BASE_MODEL, messages=[{"role": "user", "content": "Fix: I has a cat"}], format=schema)
    assert structured.value.status_code == 400
    answer = client.generate(BASE_MODEL, prompt="Sentence: I has a cat.\nCorrected:", format=schema,
                             options={"temperature": 0, "num_predict": 24})  # fmt: skip
    assert isinstance(json.loads(answer.response)["corrected"], str), answer.response
    listed = {entry["name"]: entry.get("capabilities") for entry in worker.get("/api/tags").json()["models"]}
    assert listed[BASE_MODEL] == ["completion"]
