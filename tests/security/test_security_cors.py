"""CORS only for configured origins (docs/fleet.md; issue 9): the edge answers preflights for its
configured origins and names them exactly (never `*`), and gives a foreign origin nothing a
browser would accept, on the API, identity and static routes alike."""

from __future__ import annotations

import pytest

ALLOWED = "http://127.0.0.1:8080"  # the edge's default configured origin
FOREIGN = ["https://evil.example", "null", "http://127.0.0.1:8080.evil.example", "http://localhost:8081"]
PATHS = ["/us-east-1/chat", "/conversations/x", "/tutor/feedback", "/idp/", "/index.html"]


def preflight(fleet, path: str, origin: str):
    headers = {"Origin": origin, "Access-Control-Request-Method": "POST",
               "Access-Control-Request-Headers": "authorization, content-type"}  # fmt: skip
    return fleet.http.options(fleet.edge + path, headers=headers, timeout=(5, 10))


@pytest.mark.parametrize("path", PATHS)
def test_a_configured_origin_gets_exact_cors_headers(fleet, path):
    response = preflight(fleet, path, ALLOWED)
    assert response.status_code in (200, 204), response.status_code
    assert response.headers.get("access-control-allow-origin") == ALLOWED
    assert "authorization" in response.headers.get("access-control-allow-headers", "").lower()


@pytest.mark.parametrize("origin", FOREIGN)
@pytest.mark.parametrize("path", PATHS)
def test_a_foreign_origin_gets_no_cors_headers(fleet, alice, path, origin):
    """Preflight → no `Access-Control-Allow-Origin`; a real request with that Origin is answered
    (the authorizer decides) without one either, so a browser hides the answer from that page."""
    response = preflight(fleet, path, origin)
    assert "access-control-allow-origin" not in response.headers, dict(response.headers)
    assert response.status_code >= 400, response.status_code
    actual = fleet.call_edge("GET", "/us-east-1/version", token=alice.id_token, headers={"Origin": origin})
    assert "access-control-allow-origin" not in actual.headers, dict(actual.headers)
    assert "access-control-allow-credentials" not in actual.headers
