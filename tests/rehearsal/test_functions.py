"""The functions of api.yaml behind the API stand-in (R-FN-1, R-FN-2, R-APP-8, R-LLM-4; issue 20,
item 6): the real Lambda zips under the Runtime API emulator with the environment the template gives
them, logged in to a real PostgreSQL + pgvector as cakap_fn, and the rehearsed workers serving the
models the functions name at the addresses the functions are given."""

from __future__ import annotations

import re
import uuid
from typing import Any

import requests

from api_standin import id_token
from conftest import ISSUER, USER_POOL_KEY, WEB_ORIGIN, fleet_models, function_name

CONVERSATIONS, TUTOR = function_name("ConversationsFunction"), function_name("TutorFunction")

LEARNER_TURN = "My cat are very lazy and it sleep all day"


def learner(label: str) -> tuple[str, dict[str, str]]:
    """A learner of its own (test_smoke deletes all of its learner's conversations) and the headers
    the web app sends: its origin and the ID token as "Bearer <token>"."""
    sub = f"rehearsal-{label}-{uuid.uuid4().hex[:8]}"
    token = id_token(USER_POOL_KEY, ISSUER, sub, f"{label}@example.com")
    return sub, {"Origin": WEB_ORIGIN, "Authorization": f"Bearer {token}"}


def model_urls(environment: dict[str, str]) -> list[str]:
    return [url for name in ("CAKAP_EMBED_URLS", "CAKAP_LLM_URLS") for url in environment.get(name, "").split(",") if url]


def test_every_model_a_function_names_is_pulled_and_answers_where_the_function_sends_it(functions: dict[str, Any]) -> None:
    """Issue 20, item 6: the functions asked for models the fleet did not pull, and a failed
    embedding was swallowed. Each model a function's settings name is in fleet.yaml's Models and
    answers, through the NLB relays the function's URLs name, on the rehearsed workers."""
    for name, function in functions.items():
        environment = function.environment
        urls = model_urls(environment)
        assert urls, f"{name} is given no model URL"
        embed_model, tutor_model = environment.get("CAKAP_EMBED_MODEL"), environment.get("CAKAP_TUTOR_MODEL")
        for model in filter(None, [embed_model, tutor_model]):
            assert model in fleet_models(), f"{name} asks for {model}, which the fleet does not pull"
        for url in urls:
            if embed_model:
                answer = requests.post(f"{url}/api/embed", json={"model": embed_model, "input": LEARNER_TURN}, timeout=120)
                assert answer.status_code == 200, f"{name}: {embed_model} at {url}: {answer.status_code} {answer.text[:300]}"
                vector = answer.json()["embeddings"][0]
                assert len(vector) >= 256 and any(value != 0 for value in vector), f"{embed_model}: {len(vector)} dimensions"
            if tutor_model:
                answer = requests.post(f"{url}/api/generate", timeout=120, json={
                    "model": tutor_model, "prompt": "Correct this sentence: I goes to school.", "stream": False,
                    "options": {"num_predict": 12, "temperature": 0}})
                assert answer.status_code == 200, f"{name}: {tutor_model} at {url}: {answer.status_code} {answer.text[:300]}"
                assert re.search(r"[A-Za-z]{2,}", answer.json()["response"]), answer.json()


def test_a_saved_conversation_has_its_vector_in_the_database(api, rds, functions: dict[str, Any]) -> None:
    """R-APP-8, R-FN-2: a conversation saved through the gateway by the conversations zip is in
    PostgreSQL with a vector of the configured model's size, and the app may read the answer."""
    embed_model = functions[CONVERSATIONS].environment["CAKAP_EMBED_MODEL"]
    sub, headers = learner("vector")
    conversation_id = str(uuid.uuid4())
    answer = requests.post(f"{api.url}/conversations/{sub}", headers=headers, timeout=60, json={
        "id": conversation_id, "title": "Pets", "conversation": [
            {"role": "assistant", "content": "Tell me about your pets."}, {"role": "user", "content": LEARNER_TURN}]})
    log = functions[CONVERSATIONS].log_tail()
    assert answer.status_code == 201, f"{answer.status_code} {answer.text}\n{log}"
    assert answer.headers.get("Access-Control-Allow-Origin") == WEB_ORIGIN, dict(answer.headers)
    saved = answer.json()
    assert saved.get("embedding_model") == embed_model, f"{saved}\n{log}"
    dimensions = saved["embedding_dimensions"]
    row = rds.query("SELECT embedding_model, embedding_dim, vector_dims(embedding), vector_norm(embedding) > 0 "
                    f"FROM conversations WHERE uid = '{sub}' AND id = '{conversation_id}'")
    assert row == f"{embed_model}|{dimensions}|{dimensions}|t", row


def test_the_tutor_finds_an_earlier_mistake_by_the_stored_vectors(api, functions: dict[str, Any]) -> None:
    """R-APP-8: the tutor zip, as cakap_fn, reads the learner's nearest earlier conversation by its
    vector (the owner made the index of the conversations' model) and names the mistake again."""
    sub, headers = learner("tutor")
    earlier = {"matches": [{"offset": 7, "length": 3, "rule": {"id": "HARPER_X", "category": "agreement"}}]}
    current = str(uuid.uuid4())
    for conversation_id, turn in [(str(uuid.uuid4()), {"role": "user", "content": LEARNER_TURN, "feedback": earlier}),
                                  (current, {"role": "user", "content": "My dog and my cat sleep all day"})]:
        saved = requests.post(f"{api.url}/conversations/{sub}", headers=headers, timeout=60,
                              json={"id": conversation_id, "title": "Pets", "conversation": [turn]})
        assert saved.status_code == 201 and "embedding_model" in saved.json(), saved.text
    answer = requests.post(f"{api.url}/tutor/feedback", headers=headers, timeout=60,
                           json={"text": "I has two cat", "conversation_id": current})
    assert answer.status_code == 200, f"{answer.status_code} {answer.text}\n{functions[TUTOR].log_tail()}"
    assert answer.headers.get("Access-Control-Allow-Origin") == WEB_ORIGIN, dict(answer.headers)
    feedback = answer.json()
    spans = {"I has two cat"[match["offset"]:match["offset"] + match["length"]]: match for match in feedback["matches"]}
    assert "has" in spans and "have" in spans["has"]["replacements"], feedback["matches"]
    assert ("agreement", "earlier_conversations") in [(item["category"], item["scope"]) for item in feedback["recurring"]], feedback
