"""The conversations API inside `cakap up` (issue 4): the embedded PostgreSQL + pgvector, the
service behind the edge's authorizer, vectors made by the LLM pool through a region's balancer
(R-API-1, R-APP-8, R-DB-1). Nothing here kills a process."""

from __future__ import annotations

import base64
import json
import uuid


def test_a_conversation_round_trips_through_the_edge_with_a_vector_from_the_llm_pool(fleet, user):
    assert fleet.state["conversations"].startswith("http://127.0.0.1:")
    headers = {"Authorization": f"Bearer {user.id_token}"}
    root = f"{fleet.edge}/conversations/{user_sub(user.id_token)}"
    body = {
        "id": str(uuid.uuid4()),
        "title": "Hobbies",
        "conversation": [
            {"role": "assistant", "content": "What do you do on weekends?"},
            {"role": "user", "content": "I am play badminton with my brother"},
        ],
    }
    created = fleet.post(root, json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["embedding_model"] == "all-minilm" and created.json()["embedding_dimensions"] == 384
    fetched = fleet.get(f"{root}/{body['id']}", headers=headers)
    assert fetched.status_code == 200 and fetched.json()["conversation"] == body["conversation"]
    other = fleet.get(f"{fleet.edge}/conversations/someone-else", headers=headers)
    assert other.status_code == 403
    assert fleet.http.delete(root, headers=headers).json()["deleted"] >= 1


def user_sub(token: str) -> str:
    """The token's `sub` claim (the edge has verified the signature; here it is only read)."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"]
