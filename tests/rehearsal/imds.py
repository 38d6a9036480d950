"""A stand-in for the EC2 instance metadata service (IMDSv2) of one rehearsed instance.

Runs inside the instance's network namespace on 169.254.169.254:80 and answers what the worker
playbook asks: a session token (PUT /latest/api/token with a TTL header) and the instance's tags
(GET /latest/meta-data/tags/instance/<key>, token required, 401 without, as IMDSv2 does).

    python3 imds.py --tag Name=lks-worker-llm-a-zone-a --tag Pool=llm
"""

from __future__ import annotations

import argparse
import secrets
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def handler(tags: dict[str, str], token: str) -> type[BaseHTTPRequestHandler]:
    class Metadata(BaseHTTPRequestHandler):
        def reply(self, status: int, body: str) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_PUT(self) -> None:  # noqa: N802 (http.server's naming)
            if self.path != "/latest/api/token" or not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                self.reply(400, "Bad Request")
                return
            self.reply(200, token)

        def do_GET(self) -> None:  # noqa: N802
            if self.headers.get("X-aws-ec2-metadata-token") != token:
                self.reply(401, "Unauthorized")
                return
            prefix = "/latest/meta-data/tags/instance/"
            if self.path == "/latest/meta-data/placement/availability-zone":
                self.reply(200, tags.get("_zone", "us-east-1a"))
            elif self.path == prefix.rstrip("/"):
                self.reply(200, "\n".join(tags))
            elif self.path.startswith(prefix) and self.path[len(prefix):] in tags:
                self.reply(200, tags[self.path[len(prefix):]])
            else:
                self.reply(404, "Not Found")

        def log_message(self, *args: object) -> None:
            pass

    return Metadata


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tag", action="append", default=[], help="KEY=VALUE")
    parser.add_argument("--address", default="169.254.169.254")
    parser.add_argument("--port", type=int, default=80)
    options = parser.parse_args()
    tags = dict(item.split("=", 1) for item in options.tag)
    ThreadingHTTPServer((options.address, options.port), handler(tags, secrets.token_hex(16))).serve_forever()


if __name__ == "__main__":
    main()
