"""The ownership matrix through the edge, on every conversations route (R-API-1): Bob, signed in
with a valid token, can neither read, change, list nor delete Alice's history, whether he names
her `uid` (403 before anything is read) or her conversation id under his own (404: absent).

The service-level version without the edge: tests/conversations/test_conversations_api.py
`test_cross_user_attempts_change_and_reveal_nothing`.
"""

from __future__ import annotations

from conftest import subject


def test_nobody_reads_or_changes_another_learners_history(fleet, alice, bob, alice_conversation):
    """R-API-1, R-AUTH-6, issue 9: Bob's 13 attempts on Alice's data → 403 on her uid, 404 on her id
    under his uid (never 200/201 with her data), and afterwards her conversation and list are as before."""
    alice_uid, bob_uid, cid = subject(alice), subject(bob), alice_conversation["id"]
    title = {"title": "owned by bob"}
    body = {"id": cid, "title": "Bob's", "conversation": [{"role": "user", "content": "mine"}]}
    before = fleet.call_edge("GET", f"/conversations/{alice_uid}", token=alice.id_token).json()
    attempts = [
        ("GET", f"/conversations/{alice_uid}", None, 403),
        ("POST", f"/conversations/{alice_uid}", body, 403),
        ("DELETE", f"/conversations/{alice_uid}", None, 403),
        ("GET", f"/conversations/{alice_uid}/{cid}", None, 403),
        ("PUT", f"/conversations/{alice_uid}/{cid}", title, 403),
        ("DELETE", f"/conversations/{alice_uid}/{cid}", None, 403),
        ("GET", f"/conversations/{alice_uid}/{cid}/similar", None, 403),
        ("GET", f"/conversations/{bob_uid}/{cid}", None, 404),
        ("PUT", f"/conversations/{bob_uid}/{cid}", title, 404),
        ("DELETE", f"/conversations/{bob_uid}/{cid}", None, 404),
        ("GET", f"/conversations/{bob_uid}/{cid}/similar", None, 404),
        ("GET", f"/conversations/{alice_uid.upper()}", None, 403),
        ("GET", f"/conversations/{alice_uid}%2F..%2F{bob_uid}", None, 403),
    ]
    wrong = []
    for method, path, payload, expected in attempts:
        response = fleet.call_edge(method, path, token=bob.id_token, json=payload)
        leaked = alice_conversation["title"] in response.text or "My secret" in response.text
        if response.status_code not in (expected, 400) or leaked:
            wrong.append(f"{method} {path} → {response.status_code} {response.text[:160]}")
    assert not wrong, "\n".join(wrong)
    after = fleet.call_edge("GET", f"/conversations/{alice_uid}", token=alice.id_token).json()
    assert [item["id"] for item in after["items"]] == [item["id"] for item in before["items"]]
    stored = fleet.call_edge("GET", f"/conversations/{alice_uid}/{cid}", token=alice.id_token).json()
    assert stored["title"] == alice_conversation["title"] and stored["conversation"] == alice_conversation["conversation"]
