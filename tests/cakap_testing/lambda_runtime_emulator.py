"""A local stand-in for AWS Lambda's Runtime API (2018-06-01), for testing our `bootstrap`.

It queues events, hands each to `GET /runtime/invocation/next` with the headers Lambda sends
(request id, deadline, function ARN, trace id), and records what the runtime answers on
`/invocation/{id}/response`, `/invocation/{id}/error` and `/init/error`.
"""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/2018-06-01/runtime"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:lks-conversations"


@dataclass
class Outcome:
    kind: str  # "response" or "error"
    body: dict
    error_type: str | None = None


@dataclass
class Emulator:
    server: ThreadingHTTPServer
    pending: queue.Queue = field(default_factory=queue.Queue)
    outcomes: dict[str, queue.Queue] = field(default_factory=dict)
    init_errors: list[dict] = field(default_factory=list)
    next_calls: int = 0

    @property
    def endpoint(self) -> str:
        host, port = self.server.server_address[:2]
        return f"{host}:{port}"

    def invoke(self, event: dict, timeout_ms: int = 10_000, wait: float = 30) -> Outcome:
        """Queues `event` and waits for the runtime's answer."""
        request_id = str(uuid.uuid4())
        self.outcomes[request_id] = queue.Queue()
        self.pending.put((request_id, int(time.time() * 1000) + timeout_ms, json.dumps(event).encode()))
        return self.outcomes[request_id].get(timeout=wait)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start() -> Emulator:
    emulator: Emulator

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # quiet
            pass

        def _reply(self, status: int, body: bytes = b"{}", headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path != PREFIX + "/invocation/next":
                return self._reply(404)
            emulator.next_calls += 1
            request_id, deadline, event = emulator.pending.get()  # long poll, as Lambda does
            self._reply(200, event, {
                "Lambda-Runtime-Aws-Request-Id": request_id,
                "Lambda-Runtime-Deadline-Ms": str(deadline),
                "Lambda-Runtime-Invoked-Function-Arn": FUNCTION_ARN,
                "Lambda-Runtime-Trace-Id": "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1",
            })  # fmt: skip

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            if self.path == PREFIX + "/init/error":
                emulator.init_errors.append(body)
                return self._reply(202)
            parts = self.path[len(PREFIX) :].strip("/").split("/")
            if len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                outcome = Outcome(parts[2], body, self.headers.get("Lambda-Runtime-Function-Error-Type"))
                emulator.outcomes.setdefault(parts[1], queue.Queue()).put(outcome)
                return self._reply(202)
            self._reply(404)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    emulator = Emulator(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return emulator


def proxy_event(method: str, path: str, sub: str | None, body: dict | str | None = None, query: dict | None = None) -> dict:
    """An API Gateway REST API proxy event (payload 1.0) as the Cognito authorizer passes it on."""
    return {
        "resource": "/conversations/{uid}" if path.count("/") == 2 else "/conversations/{uid}/{id}",
        "path": path,
        "httpMethod": method,
        "headers": {"Content-Type": "application/json", "Origin": "https://app.example"},
        "queryStringParameters": query,
        "pathParameters": None,
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "stage": "prod",
            "authorizer": {"claims": {"sub": sub, "email": "learner@example.com"}} if sub else None,
        },
        "body": body if isinstance(body, str) or body is None else json.dumps(body),
        "isBase64Encoded": False,
    }
