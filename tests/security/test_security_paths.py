"""Path traversal: against the edge's static file server (the web app's folder) with raw request
lines (no client normalises them), and through model names in `/api/pull`, `/api/show`,
`/api/copy`, `/api/chat` via the edge (`../../etc/passwd`). Issue 9; R-SG-7 (nothing that needs
protection is exposed).
"""

from __future__ import annotations

import glob
import os
import socket
from urllib.parse import urlsplit

import pytest
from conftest import WEB_INDEX

PASSWD_MARK = "root:x:0:0"
STATIC_ATTACKS = [
    "/../../../../../../etc/passwd",
    "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/%252e%252e/%252e%252e/%252e%252e/etc/passwd",
    "/....//....//....//....//etc/passwd",
    "/.%2e/.%2e/.%2e/.%2e/.%2e/etc/passwd",
    "/index.html/../../../../../../etc/passwd",
    "/..\\..\\..\\..\\..\\etc\\passwd",
    "/%c0%ae%c0%ae/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd",
    "//etc/passwd",
    "/app.js%00.html",
    "/us-east-1/../../../../etc/passwd",
]
MODEL_ATTACKS = [
    "../../etc/passwd",
    "../../../../../../etc/passwd:latest",
    "library/../../../../etc/passwd",
    "registry.ollama.ai/../../etc/passwd",
    "..%2f..%2f..%2fetc%2fpasswd",
    "/etc/passwd",
    "smollm2:../../../../etc/passwd",
    "....//....//etc/passwd",
    "a/b/c/d/../../../../etc/passwd",
    ".hidden/model",
]


def raw_get(edge: str, target: str) -> tuple[int, str]:
    """Sends `GET <target>` exactly as written; returns (status, body text)."""
    address = urlsplit(edge)
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {address.netloc}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0
    return status, body.decode(errors="replace")


def test_the_web_app_is_served(fleet):
    """The static server works (so the refusals below are not a missing server)."""
    assert raw_get(fleet.edge, "/index.html") == (200, WEB_INDEX)
    assert "console.log" in raw_get(fleet.edge, "/app.js")[1]


@pytest.mark.parametrize("target", STATIC_ATTACKS)
def test_static_traversal_never_leaves_the_web_folder(fleet, target):
    """Issue 9: raw traversal request lines → a 4xx (or the web app's own index), never a file
    from outside the web folder, never a 5xx."""
    status, body = raw_get(fleet.edge, target)
    assert PASSWD_MARK not in body, f"{target} → {status}: /etc/passwd served"
    assert status and status < 500, f"{target} → {status} {body[:200]}"
    assert status >= 400 or body.strip() in (WEB_INDEX, "console.log('cakap');"), f"{target} → {status} {body[:200]}"


@pytest.mark.parametrize("name", MODEL_ATTACKS)
def test_model_names_cannot_traverse_the_store(fleet, alice, name, setup_paths):
    """Issue 9, R-LLM-6: a traversal as the model name of pull, show, chat, and as copy's source
    and destination, through the edge → 400 `invalid model name` or 404, no file content in the
    answer, and nothing created outside the model store."""
    calls = [
        # Pull is an operator's (issue 19): refused before the name is read.
        ("/us-east-1/pull", {"model": name, "insecure": True, "stream": False}, (403,)),
        ("/us-west-2/show", {"model": name}, (400, 404)),
        ("/us-east-1/chat", {"model": name, "messages": [{"role": "user", "content": "hi"}], "stream": False},
         (400, 404)),
        # Copy is not part of the public API at all (test_copy_is_not_part_of_the_public_api).
        ("/us-east-1/copy", {"source": "smollm2:135m", "destination": name}, (403,)),
        ("/us-east-1/copy", {"source": name, "destination": "cakap-security-copy:x"}, (403,)),
    ]  # fmt: skip
    for path, body, expected in calls:
        response = fleet.call_edge("POST", path, token=alice.id_token, json=body)
        assert response.status_code in expected, f"{path} {name!r} → {response.status_code} {response.text}"
        assert PASSWD_MARK not in response.text
    assert setup_paths() == setup_paths.before, "a file appeared or changed outside the model store"


@pytest.fixture(scope="module")
def setup_paths():
    """A snapshot of the places a traversal would land: /etc/passwd's metadata, and /etc/passwd*
    and /tmp/*passwd* names."""
    def snapshot():
        stat = os.stat("/etc/passwd")
        return (stat.st_mtime_ns, stat.st_size, sorted(glob.glob("/etc/passwd*")), sorted(glob.glob("/tmp/*passwd*")))

    snapshot.before = snapshot()
    return snapshot


def test_copy_is_not_part_of_the_public_api(fleet, alice):
    """Issue 9: a signed-in learner cannot copy a model over the chat model's name (every learner
    would then chat with it): the edge answers 403 with API Gateway's JSON `{"message"}`, in both regions and in any
    spelling, and the chat model is unchanged."""
    before = fleet.call_edge("POST", "/us-east-1/show", token=alice.id_token, json={"model": "gemma3:270m"})
    for path in ("/us-east-1/copy", "/us-west-2/copy", "/us-east-1/COPY"):
        response = fleet.call_edge("POST", path, token=alice.id_token,
                                   json={"source": "smollm2:135m", "destination": "gemma3:270m"})
        assert response.status_code == 403, f"{path} → {response.status_code} {response.text}"
        assert "not part of the public API" in response.json()["message"]
    after = fleet.call_edge("POST", "/us-east-1/show", token=alice.id_token, json={"model": "gemma3:270m"})
    assert before.status_code == after.status_code and before.json() == after.json()


@pytest.mark.parametrize("host", ["169.254.169.254", "127.0.0.1:5432", "localhost", "example.com"])
def test_pull_cannot_reach_a_host_the_learner_chooses(fleet, alice, host):
    """Issue 9 (SSRF): `/api/pull` with a registry host in the name (cloud metadata, the local
    database, any site) → 403 from the worker before it opens a connection; only the configured
    registry serves names (an operator may allow more with CAKAP_PULL_HOSTS). Learners cannot pull
    at all (issue 19), so this is the operator's route: the region's balancer."""
    response = fleet.post(fleet.balancer("us-east-1") + "/api/pull",
                          json={"model": f"{host}/library/x:latest", "insecure": True, "stream": False})
    assert response.status_code == 403, response.text
    # Refused by the model allowlist (issue 19) or, for an allowed name, by the host check.
    error = response.json()["error"]
    assert "CAKAP_PULL_MODELS" in error or "CAKAP_PULL_HOSTS" in error, error
