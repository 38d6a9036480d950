"""The API stand-in built from api.yaml in front of the two rehearsed workers, called as the
Amplify-hosted web app calls it: from another origin, with a Cognito ID token (R-API-2, R-AUTH-6;
issue 20, blocker 3: /{region}/{proxy+} answers a browser only if it carries CORS headers)."""

from __future__ import annotations

import json
import re

import requests

from conftest import CHAT_MODEL, WEB_ORIGIN

FROM_THE_APP = {"Origin": WEB_ORIGIN}


def test_a_call_without_a_token_is_401_and_readable_by_the_app(api) -> None:
    answer = requests.get(f"{api.url}/us-east-1/tags", headers=FROM_THE_APP, timeout=10)
    assert answer.status_code == 401 and answer.json() == {"message": "Unauthorized"}
    assert answer.headers.get("Access-Control-Allow-Origin") == WEB_ORIGIN


def test_the_preflight_of_the_region_routes_allows_the_app(api) -> None:
    for region in ("us-east-1", "us-west-2"):
        answer = requests.options(f"{api.url}/{region}/chat", timeout=10, headers={
            **FROM_THE_APP, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"})
        assert answer.status_code == 204
        assert answer.headers["Access-Control-Allow-Origin"] == WEB_ORIGIN
        assert "POST" in answer.headers["Access-Control-Allow-Methods"]
        assert "authorization" in answer.headers["Access-Control-Allow-Headers"].lower()


def allowed(answer: requests.Response) -> bool:
    return answer.headers.get("Access-Control-Allow-Origin") in (WEB_ORIGIN, "*")


def test_the_app_can_read_each_regions_model_list(api, token: str) -> None:
    """What the browser lets the page read: 200, the model, and Access-Control-Allow-Origin."""
    for region in ("us-east-1", "us-west-2"):
        answer = requests.get(f"{api.url}/{region}/tags", headers={**FROM_THE_APP, "Authorization": token}, timeout=10)
        assert answer.status_code == 200, answer.text
        assert CHAT_MODEL in [model["name"] for model in answer.json()["models"]]
        assert allowed(answer), f"{region}/tags has no CORS header the browser accepts: {dict(answer.headers)}"


def test_the_app_can_read_a_streamed_chat_through_the_gateway(api, token: str) -> None:
    body = {"model": CHAT_MODEL, "stream": True, "options": {"num_predict": 16, "temperature": 0},
            "messages": [{"role": "user", "content": "Say hello to a new English learner."}]}
    with requests.post(f"{api.url}/us-west-2/chat", json=body, stream=True, timeout=120,
                       headers={**FROM_THE_APP, "Authorization": token}) as answer:
        assert answer.status_code == 200
        lines = [json.loads(line) for line in answer.iter_lines() if line]
        assert allowed(answer), f"chat has no CORS header: {dict(answer.headers)}"
    assert len(lines) >= 2 and lines[-1]["done"] is True
    text = "".join(line.get("message", {}).get("content", "") for line in lines)
    assert re.search(r"[A-Za-z]{2,}", text), text


def test_copy_is_refused_and_unknown_routes_are_missing_tokens(api, token: str) -> None:
    copy = requests.post(f"{api.url}/us-east-1/copy", json={}, headers={**FROM_THE_APP, "Authorization": token}, timeout=10)
    assert copy.status_code == 403 and "operators" in copy.json()["message"]
    unknown = requests.get(f"{api.url}/nowhere", headers=FROM_THE_APP, timeout=10)
    assert unknown.status_code == 403 and unknown.json() == {"message": "Missing Authentication Token"}
    assert unknown.headers.get("Access-Control-Allow-Origin") == WEB_ORIGIN
