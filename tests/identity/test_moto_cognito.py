"""The Cognito-style verifier (`cakap users verify-token`, the same code as the edge's authorizer)
against tokens from moto's Cognito in server mode: a second, independent issuer (R-AUTH-6).

How moto's Cognito differs from the real one, and what this test does about it:

- `iss` is `https://cognito-idp.<region>.amazonaws.com/<poolId>`, exactly as Cognito's, but the JWKS
  is not at `<iss>/.well-known/jwks.json` (that host is AWS); moto serves it at
  `<moto url>/<poolId>/.well-known/jwks.json`. The verifier takes the JWKS URL and the issuer
  separately, so the test passes moto's URL for the keys and the AWS-shaped `iss` for the issuer;
  nothing is sent to AWS.
- moto signs every pool's tokens with one fixed RSA-2048 key whose private half ships inside the
  moto package (`kid: "dummy"`), and serves that key for any pool id, even one that does not
  exist. Anyone can forge moto tokens: they prove the verifier follows the protocol, never that a
  token is trustworthy.
- moto's ID token (5.2.1) has `email` and `cognito:username` (the `sub`, as in an email sign-in
  pool) but leaves out `name` and `email_verified`, which Cognito includes; its pool ids are
  `<region>_<32 hex digits>` where Cognito's have 9 letters or digits. The test reads only `sub`,
  `email`, `aud`, `iss` and `token_use`, and the verifier needs nothing more.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
PASSWORD = "Cakap-Moto-7!"
EMAIL = "moto-learner@example.com"


def cakap_bin() -> str:
    binary = os.environ.get("CAKAP_BIN") or str(REPOSITORY / ".build" / "debug" / "cakap")
    if not Path(binary).is_file():
        pytest.fail(f"no cakap binary at {binary}: build it (swift build --product cakap) or set CAKAP_BIN", pytrace=False)
    return binary


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    """moto in server mode on a free loopback port, stopped afterwards."""
    port = free_port()
    server = shutil.which("moto_server")
    command = [server] if server else [sys.executable, "-m", "moto.server"]
    process = subprocess.Popen(
        [*command, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
                break
            except OSError:
                if process.poll() is not None:
                    pytest.fail(f"moto_server exited: {process.stderr.read().decode(errors='replace')}", pytrace=False)
                if time.monotonic() > deadline:
                    pytest.fail("moto_server did not answer within 30 s", pytrace=False)
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def pool(moto_url: str) -> dict:
    """A pool configured like R-AUTH-1..5, one confirmed user, and that user's tokens."""
    client = boto3.client(
        "cognito-idp", endpoint_url=moto_url, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )
    pool_id = client.create_user_pool(
        PoolName="lks-user-pool",
        UsernameAttributes=["email"],
        AutoVerifiedAttributes=["email"],
        MfaConfiguration="OFF",
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": False},
        Policies={"PasswordPolicy": {
            "MinimumLength": 8, "RequireUppercase": True, "RequireLowercase": True,
            "RequireNumbers": True, "RequireSymbols": True,
        }},
        Schema=[
            {"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True},
            {"Name": "name", "AttributeDataType": "String", "Required": True, "Mutable": True},
        ],
    )["UserPool"]["Id"]
    client_id = client.create_user_pool_client(
        UserPoolId=pool_id, ClientName="lks-app-client", GenerateSecret=False,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    signed_up = client.sign_up(
        ClientId=client_id, Username=EMAIL, Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": EMAIL}, {"Name": "name", "Value": "Moto Learner"}],
    )
    assert signed_up["UserConfirmed"] is False
    client.admin_confirm_sign_up(UserPoolId=pool_id, Username=EMAIL)
    result = client.initiate_auth(
        ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": EMAIL, "PASSWORD": PASSWORD}
    )["AuthenticationResult"]
    return {
        "id": pool_id, "client_id": client_id, "jwks": f"{moto_url}/{pool_id}/.well-known/jwks.json",
        "id_token": result["IdToken"], "access_token": result["AccessToken"],
    }


def claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def verify(token: str, jwks: str, issuer: str, audience: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [cakap_bin(), "users", "verify-token", token, "--jwks", jwks, "--issuer", issuer, "--audience", audience],
        capture_output=True, text=True, timeout=60,
    )


def test_moto_id_token_is_shaped_like_cognitos(pool: dict) -> None:
    token = claims(pool["id_token"])
    assert token["iss"] == f"https://cognito-idp.us-east-1.amazonaws.com/{pool['id']}"
    assert token["aud"] == pool["client_id"] and token["token_use"] == "id"
    assert token["email"] == EMAIL and token["sub"]


def test_verifier_accepts_a_moto_id_token(pool: dict) -> None:
    """R-AUTH-6: the edge's verifier accepts moto's ID token through moto's JWKS."""
    issuer = claims(pool["id_token"])["iss"]
    result = verify(pool["id_token"], pool["jwks"], issuer, pool["client_id"])
    assert result.returncode == 0, result.stderr
    verified = json.loads(result.stdout)
    assert verified["sub"] == claims(pool["id_token"])["sub"]
    assert verified["email"] == EMAIL
    assert verified["aud"] == pool["client_id"]


def test_verifier_refuses_a_tampered_moto_token(pool: dict) -> None:
    header, payload, signature = pool["id_token"].split(".")
    changed = dict(claims(pool["id_token"]), email="someone-else@example.com")
    forged = base64.urlsafe_b64encode(json.dumps(changed).encode()).rstrip(b"=").decode()
    result = verify(f"{header}.{forged}.{signature}", pool["jwks"], changed["iss"], pool["client_id"])
    assert result.returncode == 1
    assert "401 Unauthorized" in result.stderr and "signature" in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("case", "expected"),
    [("access token", "token_use"), ("wrong audience", "aud"), ("issuer from moto's URL", "iss")],
)
def test_verifier_refuses_moto_tokens_it_must_not_accept(pool: dict, moto_url: str, case: str, expected: str) -> None:
    issuer = claims(pool["id_token"])["iss"]
    token, audience = pool["id_token"], pool["client_id"]
    if case == "access token":
        token = pool["access_token"]
    elif case == "wrong audience":
        audience = "not-the-app-client"
    else:
        # What a naive setup would pass: the issuer derived from where the JWKS lives.
        issuer = f"{moto_url}/{pool['id']}"
    result = verify(token, pool["jwks"], issuer, audience)
    assert result.returncode == 1
    assert "401 Unauthorized" in result.stderr and expected in result.stderr, result.stderr


@pytest.fixture(scope="module")
def edge_with_moto_pool(pool: dict, tmp_path_factory) -> Iterator[str]:
    """`cakap edge` whose authorizer trusts moto's pool (an external issuer, as real Cognito would be).
    Its region points at a closed port: a request the authorizer lets through ends as 502 there."""
    port, closed = free_port(), free_port()
    data = tmp_path_factory.mktemp("edge-moto")
    log = open(data / "edge.log", "w")
    edge = subprocess.Popen(
        [cakap_bin(), "edge", "--port", str(port), "--data", str(data / "identity"), "--region",
         f"us-east-1=http://127.0.0.1:{closed}", "--jwks", pool["jwks"], "--issuer", claims(pool["id_token"])["iss"],
         "--client-id", pool["client_id"]],
        stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(url + "/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail(f"edge did not start; log: {(data / 'edge.log').read_text()}")
        yield url
    finally:
        edge.terminate()
        edge.wait(timeout=15)


def edge_status(url: str, token: str | None) -> int:
    request = urllib.request.Request(url + "/us-east-1/tags", headers={"Authorization": token} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_edge_accepts_a_moto_issued_token(edge_with_moto_pool: str, pool: dict) -> None:
    """Issue 3 acceptance (R-AUTH-6): the edge's authorizer accepts moto's ID token through moto's JWKS —
    the request passes the authorizer and reaches the (absent) balancer: 502, not 401."""
    assert edge_status(edge_with_moto_pool, None) == 401
    assert edge_status(edge_with_moto_pool, pool["id_token"]) == 502
    assert edge_status(edge_with_moto_pool, "Bearer " + pool["id_token"]) == 502
    # An access token is not an ID token, and a tampered one is not moto's.
    assert edge_status(edge_with_moto_pool, pool["access_token"]) == 401
    header, payload, signature = pool["id_token"].split(".")
    forged = base64.urlsafe_b64encode(
        json.dumps({**claims(pool["id_token"]), "sub": "someone-else"}).encode()).decode().rstrip("=")
    assert edge_status(edge_with_moto_pool, f"{header}.{forged}.{signature}") == 401
