"""An API Gateway (REST API) stand-in built from infra/cloudformation/us-east-1/api.yaml itself
(R-API-1..3, R-AUTH-6): every route is a resource path and method of the template, with the
integration the template gives it. Nothing here names a route.

  MOCK         the request template's statusCode selects an integration response; its
               ResponseParameters become headers and its ResponseTemplates the body;
  HTTP_PROXY   the request goes to the integration URI (its NLB host and port mapped by the
               rehearsal to a worker) with {proxy} filled in; the answer passes through as it is,
               headers included, streamed when the method's ResponseTransferMode is STREAM;
  AWS_PROXY    a payload-1.0 proxy event goes to the function named by the URI (an invoker the
               rehearsal supplies: the Lambda zip under the Runtime API emulator);
  COGNITO_USER_POOLS  the Authorization header must carry an ID token of the rehearsal's user pool
               (HS256 with the pool's test key; real Cognito signs RS256), bare or after "Bearer "
               as the authorizer takes it (the web app sends "Bearer <token>"), else 401 Unauthorized;
  gateway responses  errors of the gateway itself (401, 403 Missing Authentication Token, 502,
               504) carry the ResponseParameters of DEFAULT_4XX / DEFAULT_5XX.
Not rehearsed: throttling, stage variables, access logs, the 10 MB payload limit.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests

import cloudformation

Invoker = Callable[[dict[str, Any]], dict[str, Any]]
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "host", "content-length"}
# Headers the stand-in's own server writes (API Gateway, too, answers with its own Date).
OWN = {"date", "server"}


@dataclass
class Route:
    """One method of one resource: path like /us-east-1/{proxy+}, and what the template says of it."""

    method: str
    path: str
    authorization: str
    integration: dict[str, Any]
    pattern: re.Pattern[str] = field(init=False)
    specificity: tuple[int, ...] = field(init=False)

    def __post_init__(self) -> None:
        parts, rank = [], []
        for segment in self.path.strip("/").split("/"):
            if segment.endswith("+}"):
                parts.append(f"(?P<{segment[1:-2]}>.+)")
                rank.append(0)
            elif segment.startswith("{"):
                parts.append(f"(?P<{segment[1:-1]}>[^/]+)")
                rank.append(1)
            else:
                parts.append(re.escape(segment))
                rank.append(2)
        self.pattern = re.compile("^/" + "/".join(parts) + "$")
        self.specificity = tuple(rank)


def routes_of(template: dict[str, Any], parameters: dict[str, str]) -> tuple[list[Route], dict[str, dict[str, str]]]:
    """The template's methods as routes, and its gateway responses' headers by response type."""
    resources = template["Resources"]

    def path_of(reference: Any) -> str:
        if isinstance(reference, dict) and "Fn::GetAtt" in reference:
            return ""
        resource = resources[reference["Ref"]]["Properties"]
        return path_of(resource["ParentId"]) + "/" + resource["PathPart"]

    routes = []
    for resource in resources.values():
        if resource["Type"] == "AWS::ApiGateway::Method":
            properties = cloudformation.resolve(resource["Properties"], parameters)
            routes.append(Route(properties["HttpMethod"], path_of(resource["Properties"]["ResourceId"]) or "/",
                                properties.get("AuthorizationType", "NONE"), properties.get("Integration", {})))
    responses = {}
    for resource in resources.values():
        if resource["Type"] == "AWS::ApiGateway::GatewayResponse":
            properties = cloudformation.resolve(resource["Properties"], parameters)
            responses[properties["ResponseType"]] = {
                name.removeprefix("gatewayresponse.header."): value.strip("'")
                for name, value in properties.get("ResponseParameters", {}).items()
            }
    routes.sort(key=lambda route: route.specificity, reverse=True)
    return routes, responses


def id_token(key: bytes, issuer: str, sub: str, email: str, lifetime: int = 3600) -> str:
    """An ID token of the rehearsal's user pool (the claims Cognito puts in one)."""
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    now = int(time.time())
    head = part({"alg": "HS256", "typ": "JWT"})
    body = part({"sub": sub, "email": email, "iss": issuer, "token_use": "id", "iat": now, "exp": now + lifetime, "cognito:username": sub})
    signature = hmac.new(key, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def verified_claims(token: str, key: bytes, issuer: str) -> dict[str, Any] | None:
    try:
        head, body, signature = token.removeprefix("Bearer ").split(".")
        expected = hmac.new(key, f"{head}.{body}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)), expected):
            return None
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError:
        return None
    if claims.get("iss") != issuer or claims.get("token_use") != "id" or claims.get("exp", 0) < time.time():
        return None
    return claims


def event_claims(claims: dict[str, Any]) -> dict[str, str]:
    """The claims as a REST API's Cognito authorizer puts them in a proxy event: every value a
    string, the times as dates ("Sat Dec 05 09:00:00 UTC 2026"), booleans as "true"/"false"."""
    def text(name: str, value: Any) -> str:
        if name in ("exp", "iat", "auth_time"):
            return time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(int(value)))
        if isinstance(value, bool):
            return "true" if value else "false"
        return value if isinstance(value, str) else json.dumps(value)
    return {name: text(name, value) for name, value in claims.items()}


class ApiStandIn:
    """The stand-in server on loopback: `url` is the stage's invoke URL."""

    def __init__(self, template: Path, parameters: dict[str, str], upstreams: dict[str, str],
                 functions: dict[str, Invoker], user_pool_key: bytes, issuer: str) -> None:
        self.routes, self.gateway_responses = routes_of(cloudformation.load(template), parameters)
        self.upstreams, self.functions = upstreams, functions
        self.key, self.issuer = user_pool_key, issuer
        self.stage = parameters.get("StageName", "prod")
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/{self.stage}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self.routes:
            found = route.pattern.match(path)
            if found and route.method == method:
                return route, found.groupdict()
        return None

    def gateway_headers(self, status: int) -> dict[str, str]:
        family = "DEFAULT_4XX" if status < 500 else "DEFAULT_5XX"
        return self.gateway_responses.get(family, {})

    def upstream_url(self, uri: str, parameters: dict[str, str]) -> str:
        for name, value in parameters.items():
            uri = uri.replace("{%s}" % name, value)
        parts = urlsplit(uri)
        return self.upstreams.get(parts.netloc, f"{parts.scheme}://{parts.netloc}") + parts.path


def _handler(api: ApiStandIn) -> type[BaseHTTPRequestHandler]:
    class Gateway(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def gateway_error(self, status: int, message: str) -> None:
            headers = {"Content-Type": "application/json", "x-amzn-ErrorType": message.replace(" ", ""), **api.gateway_headers(status)}
            self.send(status, json.dumps({"message": message}).encode(), headers)

        def handle_any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            prefix = f"/{api.stage}"
            if not parts.path.startswith(prefix + "/"):
                self.gateway_error(403, "Forbidden")
                return
            path = parts.path[len(prefix):]
            matched = api.match(self.command, path)
            if matched is None:
                self.gateway_error(403, "Missing Authentication Token")
                return
            route, path_parameters = matched
            claims: dict[str, Any] | None = None
            if route.authorization == "COGNITO_USER_POOLS":
                claims = verified_claims(self.headers.get("Authorization", ""), api.key, api.issuer)
                if claims is None:
                    self.gateway_error(401, "Unauthorized")
                    return
            kind = route.integration.get("Type")
            try:
                if kind == "MOCK":
                    self.mock(route)
                elif kind == "HTTP_PROXY":
                    self.http_proxy(route, path_parameters, parts.query, body)
                elif kind == "AWS_PROXY":
                    self.lambda_proxy(route, path, path_parameters, parts.query, body, claims)
                else:
                    self.gateway_error(500, f"integration {kind} is not rehearsed")
            except (requests.Timeout, TimeoutError):
                self.gateway_error(504, "Endpoint request timed out")
            except (requests.RequestException, LookupError) as error:
                self.gateway_error(502, f"Internal server error ({type(error).__name__})")

        do_GET = do_POST = do_PUT = do_DELETE = do_OPTIONS = do_PATCH = handle_any  # noqa: N815

        def mock(self, route: Route) -> None:
            template = route.integration.get("RequestTemplates", {}).get("application/json", '{"statusCode": 200}')
            status = str(json.loads(template)["statusCode"])
            responses = route.integration.get("IntegrationResponses", [])
            chosen = next((r for r in responses if r.get("SelectionPattern") and re.fullmatch(r["SelectionPattern"], status)), None)
            chosen = chosen or next((r for r in responses if not r.get("SelectionPattern")), {"StatusCode": status})
            headers = {name.removeprefix("method.response.header."): value.strip("'")
                       for name, value in chosen.get("ResponseParameters", {}).items()}
            body = chosen.get("ResponseTemplates", {}).get("application/json", "")
            if body:
                headers["Content-Type"] = "application/json"
            self.send(int(chosen["StatusCode"]), body.encode(), headers)

        def http_proxy(self, route: Route, path_parameters: dict[str, str], query: str, body: bytes) -> None:
            url = api.upstream_url(route.integration["Uri"], path_parameters) + (f"?{query}" if query else "")
            headers = {name: value for name, value in self.headers.items() if name.lower() not in HOP_BY_HOP}
            timeout = int(route.integration.get("TimeoutInMillis", 29000)) / 1000
            stream = route.integration.get("ResponseTransferMode") == "STREAM"
            with requests.request(self.command, url, headers=headers, data=body or None, stream=True, timeout=(5, timeout)) as answer:
                passed = {name: value for name, value in answer.headers.items() if name.lower() not in HOP_BY_HOP | OWN | {"content-encoding"}}
                if not stream:
                    self.send(answer.status_code, answer.content, passed)
                    return
                self.send_response(answer.status_code)
                for name, value in passed.items():
                    self.send_header(name, value)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for chunk in answer.iter_content(chunk_size=None):
                    self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")

        def lambda_proxy(self, route: Route, path: str, path_parameters: dict[str, str], query: str,
                         body: bytes, claims: dict[str, Any] | None) -> None:
            uri = route.integration["Uri"]
            function = next((name for name in api.functions if name in uri), None)
            if function is None:
                self.gateway_error(500, f"no function for {uri}")
                return
            event = {
                "resource": route.path, "path": path, "httpMethod": self.command,
                "headers": dict(self.headers.items()),
                "multiValueHeaders": {name: self.headers.get_all(name) for name in self.headers.keys()},
                "queryStringParameters": dict(parse_qsl(query)) or None,
                "pathParameters": path_parameters or None,
                "requestContext": {"resourcePath": route.path, "httpMethod": self.command, "stage": api.stage,
                                   "authorizer": {"claims": event_claims(claims or {})}},
                "body": body.decode() if body else None, "isBase64Encoded": False,
            }
            answer = api.functions[function](event)
            if not isinstance(answer, dict) or "statusCode" not in answer:
                self.gateway_error(502, "Internal server error")
                return
            headers = dict(answer.get("headers") or {})
            for name, values in (answer.get("multiValueHeaders") or {}).items():
                headers[name] = ", ".join(values)
            payload = answer.get("body") or ""
            data = base64.b64decode(payload) if answer.get("isBase64Encoded") else payload.encode()
            self.send(int(answer["statusCode"]), data, headers)

    return Gateway
