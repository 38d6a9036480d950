"""The development identity provider through boto3's `cognito-idp` client, as the app's Cognito
code would call it (R-AUTH-1..7, issue 3 deliverable 4)."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError
from cakap_testing.fleet_wire import jwt_parts, rs256_valid


def error_code(error: pytest.ExceptionInfo) -> str:
    return error.value.response["Error"]["Code"]


def test_id_token_claims(identity, user):
    """R-AUTH-1, R-AUTH-4, R-AUTH-6: the ID token is an RS256 JWT shaped like Cognito's: `token_use`
    `id`, `aud` the app client, the user's `email` and `name`, a `sub`, the pool in `iss`, a future
    `exp`."""
    header, claims, _ = jwt_parts(user.id_token)
    assert header.get("alg") == "RS256" and header.get("kid"), header
    assert claims.get("token_use") == "id", claims
    assert claims.get("aud") == identity.client_id, claims
    assert claims.get("email") == user.email and claims.get("name") == user.name, claims
    assert isinstance(claims.get("sub"), str) and claims["sub"], claims
    assert str(claims.get("iss", "")).rstrip("/").endswith("/" + identity.pool_id), claims
    assert claims.get("exp", 0) > time.time() + 60, claims
    access = jwt_parts(user.access_token)[1]
    assert access.get("token_use") == "access" and access.get("client_id") == identity.client_id, access


def test_jwks_verifies_the_id_token(fleet, identity, user):
    """Issue 3 deliverable 4: the pool's JWKS at `/<poolId>/.well-known/jwks.json` publishes the
    RSA key whose `kid` the token names, and the token's signature verifies under it."""
    assert identity.jwks_url.rstrip("/").endswith(f"/{identity.pool_id}/.well-known/jwks.json")
    response = fleet.get(identity.jwks_url, timeout=(2, 10))
    assert response.status_code == 200, response.text
    kid = jwt_parts(user.id_token)[0]["kid"]
    keys = {key.get("kid"): key for key in response.json()["keys"]}
    assert kid in keys and keys[kid].get("kty") == "RSA", keys
    assert rs256_valid(user.id_token, keys[kid]), "the ID token's signature does not verify under the JWKS key"


def test_unconfirmed_user_cannot_sign_in(identity):
    """R-AUTH-2, R-AUTH-7: sign-up sets the user's own password (no temporary one) and leaves the
    user unconfirmed; sign-in is refused with `UserNotConfirmedException` until confirmed."""
    user = identity.new_user("unconfirmed")
    reply = identity.sign_up(user)
    assert reply.get("UserConfirmed") is False and reply.get("UserSub"), reply
    with pytest.raises(ClientError) as error:
        identity.sign_in(user)
    assert error_code(error) == "UserNotConfirmedException"
    identity.confirm(user.email)
    assert identity.sign_in(user).id_token


def test_weak_password_is_refused(identity):
    """Issue 3 deliverable 4: the pool's password policy (≥ 8 characters, upper, lower, digit,
    symbol) refuses a weak password with `InvalidPasswordException`."""
    with pytest.raises(ClientError) as error:
        identity.sign_up(identity.new_user("weak", password="password"))
    assert error_code(error) == "InvalidPasswordException"


def test_name_is_required(identity):
    """R-AUTH-4: sign-up without `name` is refused (`InvalidParameterException`)."""
    with pytest.raises(ClientError) as error:
        identity.sign_up(identity.new_user("nameless"), with_name=False)
    assert error_code(error) == "InvalidParameterException"


def test_wrong_password_is_refused(identity, user):
    """R-AUTH-6: a wrong password gets `NotAuthorizedException`, no tokens."""
    with pytest.raises(ClientError) as error:
        identity.client.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": user.email, "PASSWORD": user.password + "x"},
            ClientId=identity.client_id,
        )
    assert error_code(error) == "NotAuthorizedException"


def test_refresh_token_gives_a_working_id_token(fleet, identity, user):
    """R-AUTH-5: REFRESH_TOKEN_AUTH returns a new ID token that the edge accepts."""
    result = identity.refresh(user)
    assert jwt_parts(result["IdToken"])[1].get("email") == user.email
    response = fleet.call_edge("GET", "/us-west-2/version", token=result["IdToken"])
    assert response.status_code == 200, response.text
