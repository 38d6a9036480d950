"""The anchors `cakap bench` compares against: Debian's `haproxy` (configured from the same ALB
path rules as `cakap lb`) and `wrk` (closed-loop saturation). When they are not on PATH they are
unpacked, with the shared libraries they need, from Debian's packages into
`$CAKAP_HOME/engines/debian-anchors-v1` (`apt-get download` + `dpkg-deb -x`: no root, nothing
installed system-wide, no service started), as `cakap setup` does for the other engines.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from processes import BenchError

ANCHOR_PACKAGES = ["haproxy", "wrk", "liblua5.3-0", "libopentracing-c-wrapper0", "libopentracing1", "libluajit-5.1-2"]


def cakap_home() -> Path:
    return Path(os.environ.get("CAKAP_HOME") or Path.home() / ".cache" / "cakap")


class Anchors:
    """Paths of `haproxy` and `wrk`, and the environment they run with."""

    def __init__(self, haproxy: str, wrk: str, library_path: str | None) -> None:
        self.haproxy = haproxy
        self.wrk = wrk
        self.env = {"LD_LIBRARY_PATH": library_path} if library_path else {}

    def version(self, program: str) -> str:
        argv = [self.haproxy, "-v"] if program == "haproxy" else [self.wrk, "-v"]
        result = subprocess.run(argv, capture_output=True, text=True, env={**os.environ, **self.env})
        return (result.stdout + result.stderr).splitlines()[0].strip()


def provision_anchors() -> Anchors:
    haproxy, wrk = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin"), shutil.which("wrk")
    if haproxy and wrk:
        return Anchors(haproxy, wrk, None)
    root = cakap_home() / "engines" / "debian-anchors-v1"
    tree = root / "tree"
    if not (root / ".complete").exists():
        shutil.rmtree(root, ignore_errors=True)
        (root / "debs").mkdir(parents=True)
        download = ["apt-get", "download", *ANCHOR_PACKAGES]
        result = subprocess.run(download, cwd=root / "debs", capture_output=True, text=True)
        if result.returncode != 0 and os.geteuid() == 0:  # a fresh machine has no package lists yet
            subprocess.run(["apt-get", "update", "-qq"], capture_output=True)
            result = subprocess.run(download, cwd=root / "debs", capture_output=True, text=True)
        if result.returncode != 0:
            raise BenchError(f"apt-get download {' '.join(ANCHOR_PACKAGES)} failed (run `apt-get update`?):\n{result.stderr}")
        for deb in sorted((root / "debs").glob("*.deb")):
            subprocess.run(["dpkg-deb", "-x", str(deb), str(tree)], check=True)
        (root / ".complete").touch()
    library = tree / "usr" / "lib" / "x86_64-linux-gnu"
    return Anchors(haproxy or str(tree / "usr/sbin/haproxy"), wrk or str(tree / "usr/bin/wrk"), str(library))


def alb_pattern_regex(pattern: str) -> str:
    """An ALB path pattern (exact, `*` any characters, `?` one) as an anchored regular expression."""
    parts = []
    for character in pattern:
        parts.append(".*" if character == "*" else "." if character == "?" else re.escape(character))
    return "^" + "".join(parts) + "$"


def haproxy_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def haproxy_config(topology_path: Path, port: int, pools: dict[str, list[str]], health_path: str = "/health/ready") -> str:
    """HAProxy's configuration for the ALB path rules of `topology.json` (first match by priority),
    with the same health checks (every 1 s, 2 to rise or fall) and least-outstanding choice as
    `cakap lb`. `pools` maps a pool name to `host:port` targets."""
    topology = json.loads(topology_path.read_text())
    rules = sorted(topology["albRules"], key=lambda rule: rule["priority"])
    lines = [
        "global", "    maxconn 4096", "",
        "defaults", "    mode http", "    timeout connect 2s", "    timeout client 300s", "    timeout server 300s",
        "    option http-keep-alive", "    http-reuse safe", "",
        "frontend alb", f"    bind 127.0.0.1:{port}",
    ]  # fmt: skip
    names = []
    for rule in rules:
        name = f"rule{rule['priority']}"
        lines.append(f"    acl {name} path_reg {alb_pattern_regex(rule['path'])}")
        names.append(name)
    # HAProxy runs every http-request rule before any use_backend, whatever their order in the
    # file; so a fixed response applies only when no forward rule of higher priority matches.
    returns, forwards, earlier_forwards = [], [], []
    for rule, name in zip(rules, names):
        if "pool" in rule:
            forwards.append(f"    use_backend {rule['pool']} if {name}")
            earlier_forwards.append(name)
        else:
            fixed = rule["fixedResponse"]
            guard = " ".join([name, *(f"!{earlier}" for earlier in earlier_forwards)])
            returns.append(f"    http-request return status {fixed['status']} content-type {haproxy_string(fixed['contentType'])} "
                           f"string {haproxy_string(fixed['body'])} if {guard}")
    default = topology["albDefault"]["fixedResponse"]
    returns.append(f"    http-request return status {default['status']} content-type {haproxy_string(default['contentType'])} "
                   f"string {haproxy_string(default['body'])} if {' '.join('!' + n for n in names)}")
    lines += returns + forwards
    for pool, targets in sorted(pools.items()):
        lines += ["", f"backend {pool}", "    balance leastconn", f"    option httpchk GET {health_path}"]
        for index, target in enumerate(targets):
            lines.append(f"    server {pool}{index} {target} check inter 1s rise 2 fall 2")
    return "\n".join(lines) + "\n"
