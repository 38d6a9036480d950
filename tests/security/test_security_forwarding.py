"""What the edge passes on (issue 19, low): a learner's `Authorization` never reaches the workers
(their token is for the edge and the services that check it, not for every hop and log behind), and
a client's own `X-Forwarded-For` is dropped, not extended, so nobody chooses the address the next
hops record. R-SG-7.

The real `cakap edge` binary, with a recording HTTP server standing in for a region's balancer and
for the conversations service: what it records is exactly what the edge sent.
"""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest
import requests
from botocore.config import Config
from cakap_testing.fleet_identity import PASSWORD
from cakap_testing.fleet_os import wait_until
from cakap_testing.fleet_process import cakap_bin

SPOOFED = "203.0.113.77"
CLIENT_ID = "cakapdevelopmentclient0001"


class Recorder(ThreadingHTTPServer):
    """Answers every request 200 with a small JSON body and keeps (method, path, headers)."""

    daemon_threads = True

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                recorder.seen.append((self.command, self.path, {k.lower(): v for k, v in self.headers.items()}))
                body = b'{"ok": true}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = answer

            def log_message(self, *args) -> None:  # quiet
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def requests_to(self, prefix: str) -> list[dict[str, str]]:
        return [headers for _, path, headers in self.seen if path.startswith(prefix)]


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Recorder]]:
    recorder = Recorder()
    threading.Thread(target=recorder.serve_forever, daemon=True).start()
    data = tmp_path_factory.mktemp("forwarding-edge")
    port = free_port()
    log = (data / "edge.log").open("w")
    process = subprocess.Popen(
        [str(cakap_bin()), "edge", "--port", str(port), "--data", str(data / "identity"),
         "--region", f"us-east-1={recorder.url}", "--conversations", recorder.url, "--auto-confirm"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_until(lambda: healthy(url), timeout=30):
            pytest.fail(f"cakap edge did not start: {Path(log.name).read_text()[-2000:]}", pytrace=False)
        yield url, recorder
    finally:
        process.terminate()
        process.wait(timeout=20)
        recorder.shutdown()
        log.close()


def free_port() -> int:
    """A free loopback port (closed again before the edge binds it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        return requests.get(url + "/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def id_token(edge_url: str) -> str:
    """A learner signed up (auto-confirmed) and signed in through the edge's identity provider."""
    client = boto3.client(
        "cognito-idp", endpoint_url=edge_url + "/idp", region_name="us-east-1",
        aws_access_key_id="cakap-test", aws_secret_access_key="cakap-test",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )
    email = f"forwarding-{time.time_ns()}@example.com"
    client.sign_up(ClientId=CLIENT_ID, Username=email, Password=PASSWORD,
                   UserAttributes=[{"Name": "email", "Value": email}, {"Name": "name", "Value": "Forwarding Test"}])
    result = client.initiate_auth(AuthFlow="USER_PASSWORD_AUTH", ClientId=CLIENT_ID,
                                  AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD})
    return result["AuthenticationResult"]["IdToken"]


def test_workers_never_see_the_learners_token_nor_a_chosen_forwarded_for(edge):
    """Issue 19 (low): the edge dropped neither. Without `droppedHeaders: ["authorization"]` the
    balancer stand-in records the Bearer token; with `X-Forwarded-For` extended instead of dropped
    it records 203.0.113.77 first."""
    url, recorder = edge
    token = id_token(url)
    response = requests.post(
        url + "/us-east-1/chat", timeout=20, json={"model": "smollm2:135m", "messages": []},
        headers={"Authorization": f"Bearer {token}", "X-Forwarded-For": SPOOFED},
    )
    assert response.status_code == 200, response.text
    seen = recorder.requests_to("/api/chat")
    assert seen, f"the balancer stand-in saw no chat: {[p for _, p, _ in recorder.seen]}"
    headers = seen[-1]
    assert "authorization" not in headers, "the learner's token reached the balancer (and the workers behind it)"
    assert token not in json.dumps(headers)
    assert SPOOFED not in headers.get("x-forwarded-for", ""), headers.get("x-forwarded-for")
    assert headers.get("x-forwarded-for") == "127.0.0.1", "the edge records the address it saw, and only that"


def test_services_get_the_token_they_check_but_not_a_chosen_forwarded_for(edge):
    """The conversations service checks the token itself, so it keeps `Authorization`; the client's
    `X-Forwarded-For` is still dropped there."""
    url, recorder = edge
    token = id_token(url)
    response = requests.get(
        url + "/conversations/someone", timeout=20,
        headers={"Authorization": f"Bearer {token}", "X-Forwarded-For": SPOOFED},
    )
    assert response.status_code == 200, response.text
    headers = recorder.requests_to("/conversations/")[-1]
    assert headers.get("authorization") == f"Bearer {token}"
    assert SPOOFED not in headers.get("x-forwarded-for", "")
