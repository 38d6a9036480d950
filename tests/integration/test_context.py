"""A chat longer than the model's context, against the real llama-server: the worker keeps the
system message and the newest turns, as Ollama truncates, and answers; a single message longer
than the whole context is the client's to fix (400 with the engine's reason), never a 500.

Found by the brief's own client (tests/reference_client), which replays the whole conversation
every turn: its third turn passed 2,048 tokens and got a 500.
"""

from __future__ import annotations

import pytest
from conftest import CHAT_MODEL

FILLER = " ".join(["We talked about the weather, our families and the food we like to cook."] * 4)


@pytest.fixture(scope="module")
def worker(module_worker_factory):
    return module_worker_factory()


def test_a_chat_longer_than_the_context_still_gets_an_answer(worker):
    messages = [{"role": "system", "content": "You are Cakap, a friendly English partner."}]
    for index in range(40):
        messages.append({"role": "user" if index % 2 == 0 else "assistant", "content": f"Turn {index}. {FILLER}"})
    messages.append({"role": "user", "content": "What is my favourite food?"})
    body = {"model": CHAT_MODEL, "messages": messages, "stream": False,
            "options": {"num_ctx": 512, "num_predict": 24, "temperature": 0}}  # fmt: skip
    response = worker.post("/api/chat", json=body, timeout=(5, 120))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["done"] is True and answer["message"]["content"].strip(), answer
    # The prompt the engine evaluated fitted the context with room for the answer.
    assert 0 < answer["prompt_eval_count"] <= 512 - 24, answer["prompt_eval_count"]


def test_one_message_longer_than_the_context_is_a_clear_400(worker):
    body = {"model": CHAT_MODEL, "stream": False, "options": {"num_ctx": 512, "num_predict": 8},
            "messages": [{"role": "user", "content": FILLER * 12}]}  # fmt: skip
    response = worker.post("/api/chat", json=body, timeout=(5, 120))
    assert response.status_code == 400, response.text
    assert "context" in response.json()["error"], response.text
