"""A stand-in for the CloudWatch agent package the playbook downloads from S3 (R-OPS-4).

The machine reaches no S3, so the rehearsal passes `cloudwatch_agent_deb_url` pointing at this
server, which serves a .deb named like the real one: its amazon-cloudwatch-agent-ctl checks that
the configuration the playbook wrote is JSON with metrics and logs sections and records the call.
That the agent really ships the worker's log and metrics only a real account shows.
"""

from __future__ import annotations

import functools
import subprocess
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType

CTL = """#!/usr/bin/python3
import json, sys
arguments = sys.argv[1:]
config = next(a for a in arguments if a.startswith("file:"))[5:]
document = json.load(open(config))
assert "metrics" in document and "logs" in document, "metrics and logs sections expected"
open("/opt/aws/amazon-cloudwatch-agent/ctl-calls", "a").write(" ".join(arguments) + "\\n")
"""


class AgentPackage:
    """The stand-in .deb, served over HTTP on the host end of each instance's link."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.servers: dict[str, ThreadingHTTPServer] = {}
        tree = folder / "tree"
        (tree / "DEBIAN").mkdir(parents=True)
        (tree / "DEBIAN/control").write_text(
            "Package: amazon-cloudwatch-agent\nVersion: 0.0.0-rehearsal\nArchitecture: amd64\n"
            "Maintainer: Cakap rehearsal\nDescription: stand-in for the CloudWatch agent\n"
        )
        bin_dir = tree / "opt/aws/amazon-cloudwatch-agent/bin"
        bin_dir.mkdir(parents=True)
        (tree / "opt/aws/amazon-cloudwatch-agent/etc").mkdir()
        (bin_dir / "amazon-cloudwatch-agent-ctl").write_text(CTL)
        (bin_dir / "amazon-cloudwatch-agent-ctl").chmod(0o755)
        (folder / "www").mkdir()
        subprocess.run(["dpkg-deb", "--root-owner-group", "-b", str(tree), str(folder / "www/amazon-cloudwatch-agent.deb")],
                       check=True, capture_output=True)

    def serve_on(self, address: str) -> None:
        handler = functools.partial(_Quiet, directory=str(self.folder / "www"))
        server = ThreadingHTTPServer((address, 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.servers[address] = server

    def url(self, address: str) -> str:
        return f"http://{address}:{self.servers[address].server_address[1]}/amazon-cloudwatch-agent.deb"

    def __enter__(self) -> AgentPackage:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        for server in self.servers.values():
            server.shutdown()
            server.server_close()


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass
