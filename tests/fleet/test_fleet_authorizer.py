"""The edge's Cognito-style authorizer, from outside: what a client or an attacker without the
signing key can send (R-AUTH-6, R-API-2).

Tokens with a valid signature but a wrong `aud`, `iss`, `exp` or `nbf` need the provider's private
key; the Swift unit tests of the authorizer cover those. Here: a missing header is 401 with API
Gateway's body; anything forged, tampered or of the wrong kind is 401 or 403; the real ID token
works raw and with `Bearer `.
"""

from __future__ import annotations

import pytest
from cakap_testing.fleet_process import served_by, worker_counts
from cakap_testing.fleet_wire import hs256_confused, jwk_to_pem, jwt_parts, tamper_payload, unsigned, with_header

ROUTES = [("GET", "/us-east-1/tags"), ("POST", "/us-west-2/chat"), ("GET", "/us-west-2/version")]


@pytest.fixture(scope="module")
def signing_key(fleet, identity, user) -> dict:
    """The JWK the user's ID token names by `kid`, from the pool's public JWKS."""
    response = fleet.get(identity.jwks_url, timeout=(2, 10))
    assert response.status_code == 200, response.text
    kid = jwt_parts(user.id_token)[0].get("kid")
    keys = [key for key in response.json()["keys"] if key.get("kid") == kid]
    assert keys, f"no key with kid {kid!r} in {response.text}"
    return keys[0]


def assert_rejected(response, expected=(401, 403)) -> None:
    assert response.status_code in expected, f"{response.status_code} {response.text}"
    body = response.json()
    assert isinstance(body.get("message"), str), body  # API Gateway's shape, not the worker's {"error"}


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_missing_header_is_401(fleet, method, path):
    """R-AUTH-6: no `Authorization` header on any route → 401 `{"message": "Unauthorized"}`."""
    response = fleet.call_edge(method, path, json={} if method == "POST" else None)
    assert response.status_code == 401, response.text
    assert response.json() == {"message": "Unauthorized"}


@pytest.mark.parametrize("bearer", [False, True], ids=["raw", "bearer"])
def test_id_token_accepted_raw_and_with_bearer(fleet, user, bearer):
    """R-AUTH-6: `Authorization: <IdToken>` and `Authorization: Bearer <IdToken>` both pass."""
    response = fleet.call_edge("GET", "/us-east-1/version", token=user.id_token, bearer=bearer)
    assert response.status_code == 200, response.text
    assert isinstance(response.json().get("version"), str)


FORGERIES = {
    "garbage": lambda user, other, key: "garbage",
    "bearer-garbage": lambda user, other, key: "Bearer garbage",
    "three-garbage-segments": lambda user, other, key: "abc.def.ghi",
    "empty-bearer": lambda user, other, key: "Bearer ",
    "tampered-payload": lambda user, other, key: tamper_payload(user.id_token),
    "alg-none": lambda user, other, key: unsigned(user.id_token),
    "signature-stripped": lambda user, other, key: user.id_token.rsplit(".", 1)[0] + ".",
    "unknown-kid": lambda user, other, key: with_header(user.id_token, kid="cakap-no-such-key"),
    "no-kid": lambda user, other, key: with_header(user.id_token, kid=None),
    "hs256-with-public-key": lambda user, other, key: hs256_confused(user.id_token, jwk_to_pem(key)),
    "spliced-signature": lambda user, other, key: user.id_token.rsplit(".", 1)[0]
    + "."
    + other.id_token.rsplit(".", 1)[1],
    "access-token": lambda user, other, key: user.access_token,
    "refresh-token": lambda user, other, key: user.refresh_token,
}


@pytest.mark.parametrize("forgery", FORGERIES)
def test_forged_or_wrong_tokens_are_rejected(fleet, user, other_user, signing_key, forgery):
    """R-AUTH-6: a tampered payload, `alg: none`, a stripped or spliced signature, an unknown or
    missing `kid`, HS256 signed with the public key, an access token where an ID token is required,
    a refresh token, or garbage → 401/403 with API Gateway's `{"message": ...}`."""
    value = FORGERIES[forgery](user, other_user, signing_key)
    assert value, f"the identity provider issued no token for {forgery}"
    response = fleet.call_edge("GET", "/us-east-1/tags", headers={"Authorization": value})
    assert_rejected(response)


def test_only_get_and_post_reach_a_balancer(fleet, user):
    """R-API-2: the region routes take GET and POST only; `DELETE /us-east-1/delete` with a valid
    token reaches no worker's `/api/delete` (it would delete a model from the shared store)."""
    before = worker_counts(fleet, "/api/delete")
    response = fleet.call_edge("DELETE", "/us-east-1/delete", token=user.id_token, json={"model": "no-such-model:1b"})
    assert response.status_code >= 400, response.text
    assert served_by(fleet, "/api/delete", before) == {}, "DELETE was forwarded to a worker"
