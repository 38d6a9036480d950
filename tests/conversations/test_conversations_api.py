"""The conversations API on the real stack: PostgreSQL + pgvector, a real embedding model, the
edge's authorizer in front (R-API-1, R-FN-2, R-DB-1, R-DB-2, R-APP-8)."""

from __future__ import annotations

import json
import uuid

import pytest
from conftest import Stack, User


def conversation(title: str = "At the market", learner: str = "I buyed three mangoes yesterday") -> dict:
    return {
        "id": str(uuid.uuid4()),
        "title": title,
        "conversation": [
            {"role": "assistant", "content": "Hi! What did you do yesterday?"},
            {"role": "user", "content": learner},
        ],
    }


@pytest.fixture(params=["edge", "service"])
def base(request, stack: Stack) -> str:
    """Every test runs through the edge (as API Gateway) and against the service directly."""
    return stack.edge if request.param == "edge" else stack.service


def test_every_route_of_r_api_1_for_two_users(stack: Stack, base: str, alice: User, bob: User, http) -> None:
    for user in (alice, bob):
        root = f"{base}/conversations/{user.sub}"
        body = conversation(title=f"{user.email} day")
        created = http.post(root, json=body, headers=user.headers)
        assert created.status_code == 201, created.text
        stored = created.json()
        assert stored["id"] == body["id"] and stored["uid"] == user.sub
        # No embedding sent: the service made one from the learner's turns with all-minilm (384).
        assert stored["embedding_model"] == "all-minilm" and stored["embedding_dimensions"] == 384

        listed = http.get(root, headers=user.headers)
        assert listed.status_code == 200
        assert body["id"] in [item["id"] for item in listed.json()["items"]]

        one = http.get(f"{root}/{body['id']}", headers=user.headers, params={"include": "embedding"})
        assert one.status_code == 200 and one.json()["conversation"] == body["conversation"]
        assert len(one.json()["embedding"]) == 384

        renamed = http.put(f"{root}/{body['id']}", json={"title": "Renamed"}, headers=user.headers)
        assert renamed.status_code == 200 and renamed.json()["title"] == "Renamed"
        assert renamed.json()["conversation"] == body["conversation"]  # PUT changes only what was sent

        deleted = http.delete(f"{root}/{body['id']}", headers=user.headers)
        assert deleted.status_code == 200 and deleted.json() == {"deleted": 1}
        assert http.get(f"{root}/{body['id']}", headers=user.headers).status_code == 404

        for _ in range(2):
            assert http.post(root, json=conversation(), headers=user.headers).status_code == 201
        all_deleted = http.delete(root, headers=user.headers)
        assert all_deleted.status_code == 200 and all_deleted.json()["deleted"] >= 2
        assert http.get(root, headers=user.headers).json()["items"] == []


def test_cross_user_attempts_change_and_reveal_nothing(stack: Stack, base: str, alice: User, bob: User, http) -> None:
    body = conversation(title="Alice's secret diary")
    alice_root = f"{base}/conversations/{alice.sub}"
    assert http.post(alice_root, json=body, headers=alice.headers).status_code == 201
    attempts = [
        ("GET", alice_root, None),
        ("POST", alice_root, conversation()),
        ("DELETE", alice_root, None),
        ("GET", f"{alice_root}/{body['id']}", None),
        ("PUT", f"{alice_root}/{body['id']}", {"title": "pwned"}),
        ("DELETE", f"{alice_root}/{body['id']}", None),
        ("GET", f"{alice_root}/{body['id']}/similar", None),
    ]
    for method, url, payload in attempts:
        answer = http.request(method, url, json=payload, headers=bob.headers)
        assert answer.status_code == 403, (method, url, answer.text)
        assert "secret diary" not in answer.text
    # Alice's id under Bob's own uid: not found, nothing changes.
    bob_root = f"{base}/conversations/{bob.sub}"
    for method, payload in [("GET", None), ("PUT", {"title": "pwned"}), ("DELETE", None)]:
        answer = http.request(method, f"{bob_root}/{body['id']}", json=payload, headers=bob.headers)
        assert answer.status_code == 404, (method, answer.text)
    still = http.get(f"{alice_root}/{body['id']}", headers=alice.headers)
    assert still.status_code == 200 and still.json()["title"] == "Alice's secret diary"
    http.delete(alice_root, headers=alice.headers)


def test_bad_input_gets_400_with_a_clear_message(stack: Stack, base: str, alice: User, http) -> None:
    root = f"{base}/conversations/{alice.sub}"
    headers = {**alice.headers, "Content-Type": "application/json"}
    malformed = http.post(root, data="{not json", headers=headers)
    assert malformed.status_code == 400 and "not valid JSON" in malformed.json()["error"]

    bad_uuid = http.get(f"{root}/not-a-uuid", headers=headers)
    assert bad_uuid.status_code == 400 and "not a UUID" in bad_uuid.json()["error"]

    wrong_dimension = http.post(root, json={**conversation(), "embedding": [0.1] * 768}, headers=headers)
    assert wrong_dimension.status_code == 400
    assert "768 dimensions" in wrong_dimension.json()["error"] and "384" in wrong_dimension.json()["error"]

    bad_role = {**conversation(), "conversation": [{"role": "robot", "content": "hi"}]}
    answer = http.post(root, json=bad_role, headers=headers)
    assert answer.status_code == 400 and "conversation[0].role" in answer.json()["error"]


def test_an_oversized_body_is_refused(stack: Stack, alice: User, http) -> None:
    body = json.dumps({**conversation(), "title": "x" * (2 << 20)})
    direct = http.post(f"{stack.service}/conversations/{alice.sub}", data=body, headers=alice.headers)
    assert direct.status_code == 413 and "1048576 bytes" in direct.json()["error"]
    # The edge has its own, documented body limit (API Gateway's is 10 MB): the answer is a clean 4xx.
    through_edge = http.post(f"{stack.edge}/conversations/{alice.sub}", data=body, headers=alice.headers)
    assert through_edge.status_code == 413


def test_post_of_an_existing_id_replaces_it_and_keeps_the_messages_other_fields(stack: Stack, alice: User, http) -> None:
    """Issue 16: the brief's reference client POSTs the whole conversation under one id after every
    turn, its messages carrying the chat library's `id` and `createdAt`; the same body again is 200
    and unchanged, a longer one replaces it (200, `created_at` kept) in PostgreSQL."""
    root = f"{stack.service}/conversations/{alice.sub}"
    body = conversation()
    body["conversation"] = [{**message, "id": f"m{index}", "createdAt": "2026-12-04T10:00:00.000Z"}
                            for index, message in enumerate(body["conversation"])]  # fmt: skip
    created = http.post(root, json=body, headers=alice.headers)
    assert created.status_code == 201, created.text
    again = http.post(root, json=body, headers=alice.headers)
    assert again.status_code == 200 and again.json()["updated_at"] == created.json()["updated_at"]
    longer = {**body, "title": "Longer", "userId": "someone-else",
              "conversation": [*body["conversation"], {"role": "user", "content": "And two bananas.", "id": "m2"}]}  # fmt: skip
    replaced = http.post(root, json=longer, headers=alice.headers)
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["created_at"] == created.json()["created_at"]
    stored = http.get(f"{root}/{body['id']}", headers=alice.headers).json()
    assert stored["title"] == "Longer" and stored["uid"] == alice.sub
    assert [(m["content"], m.get("id")) for m in stored["conversation"]] == [
        ("Hi! What did you do yesterday?", "m0"), ("I buyed three mangoes yesterday", "m1"), ("And two bananas.", "m2")]  # fmt: skip
    assert stored["conversation"][0]["createdAt"] == "2026-12-04T10:00:00.000Z"
    listed = {row["id"]: row for row in http.get(root, headers=alice.headers).json()["data"]}
    assert listed[body["id"]]["createdAt"] == created.json()["created_at"]
    assert listed[body["id"]]["conversation"] == stored["conversation"]
    http.delete(f"{root}/{body['id']}", headers=alice.headers)


def test_paging_is_newest_first(stack: Stack, alice: User, http) -> None:
    root = f"{stack.service}/conversations/{alice.sub}"
    ids = []
    for index in range(7):
        body = conversation(title=f"page test {index}")
        ids.append(body["id"])
        assert http.post(root, json=body, headers=alice.headers).status_code == 201
    seen, cursor = [], None
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = http.get(root, params=params, headers=alice.headers).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))
    http.delete(root, headers=alice.headers)


def test_vectors_follow_the_conversation_and_similar_finds_the_nearest(stack: Stack, alice: User, http) -> None:
    root = f"{stack.service}/conversations/{alice.sub}"
    football = conversation("Football", "I play football with my friends every Saturday afternoon")
    football_again = conversation("Match", "Yesterday we played football and our team won the match")
    cooking = conversation("Cooking", "My mother cooks rendang and fried rice for the family dinner")
    for body in (football, football_again, cooking):
        assert http.post(root, json=body, headers=alice.headers).status_code == 201
    near = http.get(f"{root}/{football['id']}/similar", params={"k": 2}, headers=alice.headers)
    assert near.status_code == 200, near.text
    items = near.json()["items"]
    assert [item["id"] for item in items] == [football_again["id"], cooking["id"]]
    assert items[0]["distance"] < items[1]["distance"]

    before = http.get(f"{root}/{cooking['id']}", params={"include": "embedding"}, headers=alice.headers).json()
    turns = cooking["conversation"] + [{"role": "user", "content": "Do you like football? I watch football on TV"}]
    assert http.put(f"{root}/{cooking['id']}", json={"conversation": turns}, headers=alice.headers).status_code == 200
    after = http.get(f"{root}/{cooking['id']}", params={"include": "embedding"}, headers=alice.headers).json()
    assert after["embedding"] != before["embedding"]  # recomputed from the new learner turns
    http.delete(root, headers=alice.headers)


def test_database_errors_never_reach_the_client(stack: Stack, alice: User, http) -> None:
    injection = conversation(title="'; DROP TABLE conversations; --", learner="Robert'); DROP TABLE students;--")
    root = f"{stack.service}/conversations/{alice.sub}"
    assert http.post(root, json=injection, headers=alice.headers).status_code == 201
    got = http.get(f"{root}/{injection['id']}", headers=alice.headers)
    assert got.json()["title"] == injection["title"]  # stored as data, not run
    assert http.get(root, headers=alice.headers).status_code == 200
    http.delete(root, headers=alice.headers)
