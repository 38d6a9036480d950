"""The rehearsal's user pool, answering the browser in place of Cognito's JSON API
(`https://cognito-idp.<region>.amazonaws.com/`, where WebAppConfiguration points the app): the
page's requests there are fulfilled inside Chromium (Playwright routing), so nothing leaves the
machine. Only what the sign-in path calls: InitiateAuth (USER_PASSWORD_AUTH, REFRESH_TOKEN_AUTH)
and GlobalSignOut. Its ID tokens are the rehearsal pool's (api_standin.id_token), which the API
stand-in's Cognito authorizer accepts. Sign-up and the confirmation code are the tests/web tier's
(against the edge's identity provider); real Cognito's own behaviour only AWS shows.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from api_standin import id_token

# Cognito answers a browser from any origin.
HEADERS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "content-type,x-amz-target,x-amz-user-agent",
           "Access-Control-Allow-Methods": "POST", "Content-Type": "application/x-amz-json-1.1"}


@dataclass
class UserPool:
    key: bytes
    issuer: str
    users: dict[str, tuple[str, str]] = field(default_factory=dict)  # email -> (password, sub)
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # token -> email

    def answer(self, action: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Cognito's status and JSON for `X-Amz-Target: AWSCognitoIdentityProviderService.<action>`."""
        parameters = body.get("AuthParameters") or {}
        if action == "InitiateAuth" and body.get("AuthFlow") == "USER_PASSWORD_AUTH":
            email = parameters.get("USERNAME", "")
            if self.users.get(email, ("", ""))[0] != parameters.get("PASSWORD") or not email:
                return 400, {"__type": "NotAuthorizedException", "message": "Incorrect username or password."}
            refresh = secrets.token_urlsafe(32)
            self.refresh_tokens[refresh] = email
            return 200, {"AuthenticationResult": {**self.tokens(email), "RefreshToken": refresh}}
        if action == "InitiateAuth" and body.get("AuthFlow") == "REFRESH_TOKEN_AUTH":
            email = self.refresh_tokens.get(parameters.get("REFRESH_TOKEN", ""))
            if email is None:
                return 400, {"__type": "NotAuthorizedException", "message": "Invalid Refresh Token"}
            return 200, {"AuthenticationResult": self.tokens(email)}
        if action == "GlobalSignOut":
            return 200, {}
        return 400, {"__type": "InvalidParameterException", "message": f"{action} is not rehearsed"}

    def tokens(self, email: str) -> dict[str, Any]:
        sub = self.users[email][1]
        return {"IdToken": id_token(self.key, self.issuer, sub, email), "AccessToken": secrets.token_urlsafe(32),
                "ExpiresIn": 3600, "TokenType": "Bearer"}

    def fulfil(self, route: Any) -> None:
        """A Playwright route handler for the pool's endpoint."""
        request = route.request
        if request.method == "OPTIONS":
            route.fulfill(status=200, headers=HEADERS, body="")
            return
        action = (request.headers.get("x-amz-target") or "").rpartition(".")[2]
        status, answer = self.answer(action, json.loads(request.post_data or "{}"))
        route.fulfill(status=status, headers=HEADERS, body=json.dumps(answer))
