"""The brief's reference client's calls (betuah/lks-llm, folder `client-apps/`, Next.js 14), as its
public source makes them, so a test can replay them against Cakap (issue 16, R-APP-10). Each
function names the source file (under `client-apps/`) whose call it reproduces: same path,
method, headers and body shape. Nothing here is the client's code: only the shape of its calls.

The conversation replay takes a `call(method, path, body) -> Answer` transport, so the same
sequence runs through the edge (`cakap up`) and through the conversations Lambda under the
Runtime API emulator (tests/conversations/test_lambda_reference_client.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

# Where the client runs in development (`AUTH_URL` of its `.env.example`).
ORIGIN = "http://localhost:3000"
CHAT_NAMES = ("orca-mini", "llama2", "llama3")  # src/components/sofya/settings-form.tsx
EMBED_NAMES = ("nomic-embed-text", "bert")  # src/components/sofya/settings-form.tsx


@dataclass
class Answer:
    """What a transport got back: status, JSON body (or None) and lower-cased headers."""

    status: int
    json: Any
    headers: dict[str, str] = field(default_factory=dict)


Call = Callable[[str, str, "dict | None"], Answer]


def browser_headers(id_token: str) -> dict[str, str]:
    """src/lib/api.ts `callAPI`: JSON, the ID token as a bearer token; the browser adds Origin."""
    return {"Content-Type": "application/json", "Authorization": f"Bearer {id_token}", "Origin": ORIGIN}


def server_headers(id_token: str) -> dict[str, str]:
    """src/app/api/chat/route.ts, stats/utils.ts: the Next.js server's fetch (no Origin)."""
    return {"Content-Type": "application/json", "Authorization": f"Bearer {id_token}"}


def chat_body(model: str, history: list[dict], name: str) -> dict:
    """src/app/api/chat/route.ts: a system prompt naming the learner, the last four messages
    (role and content only: the chat library sends no extra fields by default), streamed."""
    system = f"You are a cheerful English conversation partner. Keep replies short. The learner is {name}."
    plain = [{"role": m["role"], "content": m["content"]} for m in history[-4:]]
    return {"model": model, "messages": [{"role": "system", "content": system}, *plain], "stream": True}


def statistics_body(model: str, conversation_text: str) -> dict:
    """src/app/api/stats/utils.ts `llmQuery`: the scoring prompt, not streamed, low temperature."""
    prompt = (
        "Score the learner's English in this conversation from 0 to 100 for grammar, vocabulary "
        f"and clarity. Answer with a JSON object only.\n\n{conversation_text}"
    )
    return {"model": model, "prompt": prompt, "stream": False, "options": {"temperature": 0.3, "top_p": 0.95}}


def embed_body(model: str) -> dict:
    """src/app/check/page.tsx: the check page's embed call."""
    return {"model": model, "input": "Why is the sky blue?"}


def legacy_embedding_body(model: str, text: str) -> dict:
    """src/app/api/stats/utils.ts `getEmbedding`: the legacy `/embeddings` call."""
    return {"model": model, "prompt": text}


class ChatLibraryConversation:
    """Messages as the chat library's `useChat` keeps them in src/app/sofya/page.tsx: a greeting
    with id "1" first, then each turn with the library's own `id` and `createdAt`."""

    def __init__(self, name: str) -> None:
        self.id = str(uuid.uuid4())  # `conversationId`, made once per topic with uuid v4
        self.messages: list[dict] = [{"id": "1", "role": "assistant", "content": f"Hi **{name}**! Let's talk."}]
        self.clock = datetime(2026, 12, 4, 10, 0, tzinfo=timezone.utc)

    def add(self, role: str, content: str) -> None:
        self.clock += timedelta(seconds=7)
        stamp = self.clock.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        self.messages.append({"id": uuid.uuid4().hex[:16], "role": role, "content": content, "createdAt": stamp})

    def save_body(self) -> dict:
        """src/app/sofya/page.tsx `saveConversations`: the first turn's first 50 characters as the
        title, every message but the greeting, under the same id on every turn."""
        return {"id": self.id, "title": self.messages[1]["content"][:50], "conversation": self.messages[1:]}


def save(call: Call, uid: str, conversation: ChatLibraryConversation) -> Answer:
    """src/app/sofya/page.tsx `saveConversations`: POST after each finished reply."""
    return call("POST", f"/conversations/{uid}", conversation.save_body())


def history(call: Call, uid: str) -> list[dict]:
    """src/components/sofya/conversations.tsx `fetchConversations`: `response.data`, newest
    `createdAt` first."""
    answer = call("GET", f"/conversations/{uid}", None)
    assert answer.status == 200, answer
    rows = answer.json["data"]
    return sorted(rows, key=lambda row: datetime.fromisoformat(row["createdAt"].replace("Z", "+00:00")), reverse=True)


def check_page_put(call: Call, uid: str, conversation_id: str, title: str) -> Answer:
    """src/app/check/page.tsx "PUT Update Conversations": `userId` (a fixed, foreign one) in the body."""
    body = {"userId": "048884b8-4001-7071-6476-7604cb9a12a2", "title": title,
            "conversation": [{"role": "user", "content": "why is the sky blue?"}]}  # fmt: skip
    return call("PUT", f"/conversations/{uid}/{conversation_id}", body)


def delete_one(call: Call, uid: str, conversation_id: str) -> Answer:
    """src/components/sofya/conversations.tsx `deleteConversation`."""
    return call("DELETE", f"/conversations/{uid}/{conversation_id}", None)


def delete_all(call: Call, uid: str) -> Answer:
    """src/components/sofya/conversations.tsx `deleteAllConversations`."""
    return call("DELETE", f"/conversations/{uid}", None)


def replay_conversations(call: Call, uid: str, reply: Callable[[list[dict]], str], turns: list[str]) -> None:
    """The history part of a session: a conversation saved on each of its turns under one id, a
    second topic, the sidebar's read, the check page's PUT as a rename, delete one, delete all.
    Asserts what the learner would see (titles, the three turns' text, the order)."""
    first = ChatLibraryConversation("Ann")
    for number, text in enumerate(turns, start=1):
        first.add("user", text)
        first.add("assistant", reply(first.messages))
        saved = save(call, uid, first)
        assert saved.status in (200, 201), f"turn {number}: {saved}"  # `api.ts` needs response.ok
    second = ChatLibraryConversation("Ann")
    second.add("user", "Can we talk about football?")
    second.add("assistant", reply(second.messages))
    assert save(call, uid, second).status in (200, 201)

    rows = history(call, uid)
    assert [row["id"] for row in rows] == [second.id, first.id], rows  # newest topic first
    stored = rows[1]
    assert stored["title"] == turns[0][:50]
    assert [m["content"] for m in stored["conversation"]] == [m["content"] for m in first.messages[1:]]
    assert [m["content"] for m in stored["conversation"] if m["role"] == "user"] == turns
    assert all(m["content"].strip() for m in stored["conversation"])  # every reply is text
    # The chat library's fields come back, so reopening a topic gives it its own messages.
    assert [(m["id"], m["createdAt"]) for m in stored["conversation"]] == [
        (m["id"], m["createdAt"]) for m in first.messages[1:]
    ]

    renamed = check_page_put(call, uid, first.id, "Sky colours")
    assert renamed.status == 200, renamed
    assert {row["id"]: row["title"] for row in history(call, uid)}[first.id] == "Sky colours"

    assert delete_one(call, uid, second.id).status == 200
    assert [row["id"] for row in history(call, uid)] == [first.id]
    assert delete_all(call, uid).status == 200
    assert history(call, uid) == []
