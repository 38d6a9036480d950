"""The brief's own client (betuah/lks-llm, `client-apps/`) against `cakap up --small`, its calls
replayed as its public source makes them (issue 16; R-APP-10, R-AUTH-1..7, R-API-1..3, R-LLM-4,
R-LLM-6). Each test names the client's source files (under `client-apps/`) whose calls it
replays; reference_calls.py builds the bodies. Assertions read content: the reply's text, the
vector's length, the saved turns, the titles and order the sidebar would show.
"""

from __future__ import annotations

import json

import pytest
from cakap_testing.reference_calls import (
    CHAT_NAMES,
    EMBED_NAMES,
    ORIGIN,
    Answer,
    browser_headers,
    chat_body,
    embed_body,
    legacy_embedding_body,
    replay_conversations,
    server_headers,
    statistics_body,
)

EMBED_DIMENSIONS = 384  # all-minilm's; the aliases share its weights


@pytest.fixture(scope="module")
def learner(fleet, identity):
    """Sign-up then sign-in as the client does them, with no confirmation step in between."""
    user = identity.new_user("ann")
    # src/app/api/(auth)/signup/route.ts: SignUp with `name` and `email`; the client then sends
    # the learner to /signin, with no page to enter a code (`--auto-confirm` confirms at once).
    signed_up = identity.client.sign_up(
        ClientId=identity.client_id, Username=user.email, Password=user.password,
        UserAttributes=[{"Name": "name", "Value": user.name}, {"Name": "email", "Value": user.email}])  # fmt: skip
    assert signed_up["UserConfirmed"] is True and "CodeDeliveryDetails" not in signed_up
    # src/lib/cognito.ts `signIn` (USER_PASSWORD_AUTH) then `getUserInfo` (GetUser: name, email, sub).
    identity.sign_in(user)
    attributes = identity.client.get_user(AccessToken=user.access_token)["UserAttributes"]
    info = {item["Name"]: item["Value"] for item in attributes}
    assert info["name"] == user.name and info["email"] == user.email and info["sub"]
    user.sub = info["sub"]  # `session.user.id`: the uid of every conversations path
    return user


def edge_call(fleet, learner, method: str, path: str, body: dict | None) -> Answer:
    """src/lib/api.ts `callAPI` from the browser at http://localhost:3000."""
    response = fleet.call_edge(method, path, headers=browser_headers(learner.id_token),
                               data=None if body is None else json.dumps(body))  # fmt: skip
    try:
        payload = response.json()
    except ValueError:
        payload = None
    answer = Answer(response.status_code, payload, {k.lower(): v for k, v in response.headers.items()})
    # Every real answer to the browser carries the CORS header, or the page could not read it.
    assert answer.headers.get("access-control-allow-origin") == ORIGIN, (method, path, answer.headers)
    return answer


def stream_chat(fleet, learner, region: str, model: str, history: list[dict]) -> str:
    """src/app/api/chat/route.ts: the NDJSON stream read line by line, `message.content` joined."""
    response = fleet.call_edge("POST", f"/{region}/chat", headers=server_headers(learner.id_token),
                               data=json.dumps(chat_body(model, history, learner.name)), stream=True)  # fmt: skip
    assert response.status_code == 200, response.text
    lines = [json.loads(line) for line in response.iter_lines() if line.strip()]
    assert lines and lines[-1].get("done") is True, lines[-1:]
    assert all(line.get("model") == model for line in lines)  # the name the client asked for
    return "".join(line.get("message", {}).get("content", "") for line in lines)


@pytest.mark.parametrize("region", ["us-east-1", "us-west-2"])
def test_the_region_status_lists_the_briefs_model_names(fleet, learner, region):
    """src/components/sofya/left-bar.tsx `checkRegion` (every 15 s) and src/app/check/page.tsx:
    `GET /{region}/tags` from the browser → 200 listing the names its settings offer
    (src/components/sofya/settings-form.tsx), with the CORS header."""
    answer = edge_call(fleet, learner, "GET", f"/{region}/tags", None)
    assert answer.status == 200
    names = {model["name"] for model in answer.json["models"]}
    assert {f"{name}:latest" for name in CHAT_NAMES + EMBED_NAMES} <= names, sorted(names)


@pytest.mark.parametrize("model", ["orca-mini", "llama3"])
def test_a_streamed_chat_with_the_briefs_model_answers_in_text(fleet, learner, model):
    """src/app/api/chat/route.ts with `orca-mini` (the settings' default) and `llama3`: a reply
    a learner can read (letters, more than a word), not a 404 for an unknown model."""
    reply = stream_chat(fleet, learner, "us-east-1", model, [
        {"role": "assistant", "content": "Hi Ann! I'm your English partner."},
        {"role": "user", "content": "Hello! I like to play football with my friends on Sunday."}])  # fmt: skip
    assert len(reply.strip()) >= 10 and sum(ch.isalpha() for ch in reply) >= 5, repr(reply)


def test_statistics_use_generate_with_the_chat_model(fleet, learner):
    """src/app/api/stats/utils.ts `llmQuery` (src/app/sofya/page.tsx calls /api/stats after each
    reply): `POST /{region}/generate`, not streamed → one JSON object whose `response` is text."""
    conversation = "User: I goes to school yesterday.\n\nAssistant: Oh nice! What did you learn?"
    response = fleet.call_edge("POST", "/us-west-2/generate", headers=server_headers(learner.id_token),
                               data=json.dumps(statistics_body("orca-mini", conversation)))  # fmt: skip
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["done"] is True and "error" not in answer
    assert sum(ch.isalpha() for ch in answer["response"]) >= 5, answer["response"]


@pytest.mark.parametrize("model", EMBED_NAMES)
def test_embeddings_with_the_briefs_embedding_names(fleet, learner, model):
    """src/app/check/page.tsx `POST /us-east-1/embed` (browser) and src/app/api/stats/utils.ts
    `getEmbedding` (`/embeddings`, server): a vector of all-minilm's 384 numbers, not all zero."""
    answer = edge_call(fleet, learner, "POST", "/us-east-1/embed", embed_body(model))
    assert answer.status == 200, answer
    vector = answer.json["embeddings"][0]
    assert len(vector) == EMBED_DIMENSIONS and any(abs(value) > 1e-6 for value in vector)
    legacy = fleet.call_edge("POST", "/us-west-2/embeddings", headers=server_headers(learner.id_token),
                             data=json.dumps(legacy_embedding_body(model, "User: hello")))  # fmt: skip
    assert legacy.status_code == 200 and len(legacy.json()["embedding"]) == EMBED_DIMENSIONS


@pytest.mark.parametrize("path", ["/conversations/{uid}", "/conversations/{uid}/{id}", "/us-east-1/tags"])
def test_the_browsers_preflight_is_allowed_for_the_clients_origin(fleet, learner, path):
    """src/lib/api.ts sends `Authorization` and `Content-Type: application/json` cross-origin, so
    the browser asks first: the edge allows the origin, the methods and both headers."""
    url = path.format(uid=learner.sub, id="550e8400-e29b-41d4-a716-446655440000")
    for method in ("GET", "POST", "PUT", "DELETE"):
        response = fleet.http.options(fleet.edge + url, timeout=(5, 10), headers={
            "Origin": ORIGIN, "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization,content-type"})  # fmt: skip
        assert response.status_code in (200, 204), (method, response.status_code)
        assert response.headers.get("access-control-allow-origin") == ORIGIN
        assert method in response.headers.get("access-control-allow-methods", "")
        allowed = response.headers.get("access-control-allow-headers", "").lower()
        assert "authorization" in allowed and "content-type" in allowed


def test_a_session_saves_reads_renames_and_deletes_its_history(fleet, learner):
    """src/app/sofya/page.tsx (chat turns, `saveConversations` after each reply with the same id),
    src/components/sofya/conversations.tsx (the sidebar's `response.data`, delete one, delete all)
    and src/app/check/page.tsx (PUT with `userId`), through the edge from the client's origin.
    The replies come from the chat pool (orca-mini), as the client's would."""

    def reply(messages: list[dict]) -> str:
        return stream_chat(fleet, learner, "us-east-1", "orca-mini", messages)

    turns = ["I goes to school by bus every day.", "My teacher name is Budi.", "Yesterday we learn about planets."]
    replay_conversations(lambda m, p, b: edge_call(fleet, learner, m, p, b), learner.sub, reply, turns)


def test_the_check_page_runs_green(fleet, learner):
    """src/app/check/page.tsx with src/components/check/api-status.tsx: every listed call in its
    order must answer `response.ok` (its green "OK"), twice in a row as a user pressing Check again."""
    uid, fixed = learner.sub, "550e8400-e29b-41d4-a716-446655440000"
    body = {"id": fixed, "title": "test", "conversation": [{"role": "user", "content": "why is the sky blue?"}]}
    put = {"userId": "048884b8-4001-7071-6476-7604cb9a12a2", **{k: body[k] for k in ("title", "conversation")}}
    calls = [("GET", "/us-east-1/tags", None), ("POST", "/us-east-1/embed", embed_body("nomic-embed-text")),
             ("GET", "/us-west-2/tags", None), ("POST", "/us-west-2/embed", embed_body("nomic-embed-text")),
             ("GET", f"/conversations/{uid}", None), ("POST", f"/conversations/{uid}", body),
             ("GET", f"/conversations/{uid}/{fixed}", None), ("PUT", f"/conversations/{uid}/{fixed}", put),
             ("DELETE", f"/conversations/{uid}/{fixed}", None)]  # fmt: skip
    for attempt in (1, 2):
        failed = [(m, p, a.status) for m, p, b in calls if not 200 <= (a := edge_call(fleet, learner, m, p, b)).status < 300]
        assert not failed, f"check {attempt}: {failed}"
