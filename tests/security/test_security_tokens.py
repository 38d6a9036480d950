"""The JWT attack matrix on every route of the edge (R-AUTH-6: only users of the pool reach any
API route): the region routes (`/{region}/{proxy+}`, R-API-2), every conversations route
(R-API-1), and the tutor's three routes. Tokens with wrong claims are signed with the pool's own
key (tests/security/conftest.py `TokenForge`), so only the claim checks can reject them; a control
token re-signed the same way with the right claims is accepted, so the matrix is not vacuous.

The same matrix at unit level: Tests/TokenVerificationTests/TokenVerifierTests.swift.
"""

from __future__ import annotations

import uuid

import pytest
from conftest import now, subject
from cakap_testing.fleet_wire import hs256_confused, jwk_to_pem, jwt_parts, tamper_payload, unsigned, with_header

CHAT = {"model": "smollm2:135m", "messages": [{"role": "user", "content": "Hi"}], "stream": False,
        "options": {"num_predict": 2}}  # fmt: skip
CONVERSATION = {"id": "", "title": "forged", "conversation": [{"role": "user", "content": "hi"}]}


def routes(uid: str, conversation_id: str) -> list[tuple[str, str, dict | None]]:
    """Every API route of the edge, with a body a real client would send."""
    other = str(uuid.uuid4())
    return [
        ("GET", "/us-east-1/tags", None),
        ("GET", "/us-west-2/version", None),
        ("POST", "/us-east-1/chat", CHAT),
        ("POST", "/us-west-2/generate", {"model": "smollm2:135m", "prompt": "Hi", "stream": False}),
        ("POST", "/us-east-1/embed", {"model": "all-minilm", "input": "hi"}),
        ("POST", "/us-west-2/pull", {"model": "smollm2:135m", "stream": False}),
        ("POST", "/us-east-1/show", {"model": "smollm2:135m"}),
        ("GET", f"/conversations/{uid}", None),
        ("POST", f"/conversations/{uid}", {**CONVERSATION, "id": other}),
        ("DELETE", f"/conversations/{uid}", None),
        ("GET", f"/conversations/{uid}/{conversation_id}", None),
        ("PUT", f"/conversations/{uid}/{conversation_id}", {"title": "forged"}),
        ("DELETE", f"/conversations/{uid}/{conversation_id}", None),
        ("GET", f"/conversations/{uid}/{conversation_id}/similar", None),
        ("POST", "/tutor/feedback", {"text": "I goes to school.", "lang": "en"}),
        ("POST", "/tutor/score", {"conversation": [{"role": "user", "content": "I goes to school."}]}),
        ("POST", "/tutor/partner", {"conversation": [{"role": "user", "content": "Hello"}]}),
    ]


def forgeries(alice, bob, forge, jwk) -> dict[str, str | None]:
    hour = 3600
    return {
        "missing": None,
        "garbage": "Bearer not-a-token",
        "alg-none": unsigned(alice.id_token),
        "hs256-with-the-public-key": hs256_confused(alice.id_token, jwk_to_pem(jwk)),
        "expired": forge.sign(exp=now() - 60, iat=now() - hour, auth_time=now() - hour),
        "not-yet-valid": forge.sign(nbf=now() + hour, iat=now() + hour),
        "issued-in-the-future": forge.sign(iat=now() + hour, exp=now() + 2 * hour),
        "wrong-issuer": forge.sign(iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Attacker"),
        "wrong-audience": forge.sign(aud="attackerclient000000000001"),
        "access-token-use": forge.sign(token_use="access"),
        "no-token-use": forge.sign(token_use=None),
        "no-expiry": forge.sign(exp=None),
        "tampered-claims": tamper_payload(alice.id_token),
        "sub-swapped-signature-kept": ".".join(
            (alice.id_token.split(".")[0], bob.id_token.split(".")[1], alice.id_token.split(".")[2])),
        "missing-kid": forge.sign(header={"kid": None}),
        "unknown-kid": forge.sign(header={"kid": "cakap-attacker-key"}),
        "unknown-kid-unsigned-header": with_header(alice.id_token, kid="cakap-attacker-key"),
        "access-token": alice.access_token,
        "refresh-token": alice.refresh_token,
    }


@pytest.fixture(scope="module")
def jwk(fleet, identity, alice) -> dict:
    keys = fleet.get(identity.jwks_url, timeout=(2, 10)).json()["keys"]
    kid = jwt_parts(alice.id_token)[0]["kid"]
    return next(key for key in keys if key["kid"] == kid)


def test_a_token_re_signed_with_the_right_claims_is_accepted(fleet, alice, forge):
    """Control for the matrix below: our re-signing is right, so its rejections come from the claims."""
    response = fleet.call_edge("GET", "/us-east-1/version", token=forge.sign())
    assert response.status_code == 200, response.text


def test_every_forged_token_is_rejected_on_every_route(fleet, alice, bob, forge, jwk, alice_conversation):
    """R-AUTH-6, issue 9: 19 kinds of missing, forged or wrong tokens × 17 routes → every answer
    401 with API Gateway's `{"message": ...}` (the authorizer's, not a service's), and Alice's
    conversation, which the forged DELETEs and PUTs aimed at, is unchanged."""
    uid, conversation_id = subject(alice), alice_conversation["id"]
    wrong = []
    cases = forgeries(alice, bob, forge, jwk)
    for name, token in cases.items():
        for method, path, body in routes(uid, conversation_id):
            headers = {} if token is None else {"Authorization": token}
            response = fleet.call_edge(method, path, headers=headers, json=body, timeout=(5, 30))
            shape_ok = response.headers.get("content-type", "").startswith("application/json") and isinstance(
                response.json().get("message"), str)  # fmt: skip
            if response.status_code != 401 or not shape_ok:
                wrong.append(f"{name} {method} {path} → {response.status_code} {response.text[:120]}")
    assert not wrong, "\n".join(wrong)
    stored = fleet.call_edge("GET", f"/conversations/{uid}/{conversation_id}", token=alice.id_token)
    assert stored.status_code == 200 and stored.json()["title"] == alice_conversation["title"], stored.text
    print(f"{len(cases)} token kinds × {len(routes(uid, conversation_id))} routes: all 401")
