"""Network namespaces joined to the root namespace by a veth pair: a "region" or a "host" of its
own, with its own address, that a test can cut off (link down) or slow down (`tc tbf`) for real.

Only private test addresses (10.251.<n>.1 on the root side, 10.251.<n>.2 inside) and loopback are
used; every namespace, link and qdisc is removed by `remove()`, which the fixtures call also when a
test fails. Needs root and iproute2.
"""

from __future__ import annotations

import os
import random
import subprocess
from pathlib import Path


def run(*command: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(list(command), capture_output=True, text=True, timeout=30)
    if check and result.returncode != 0:
        raise RuntimeError(f"`{' '.join(command)}` exited with {result.returncode}: {result.stderr.strip()}")
    return result


def used_subnets() -> set[int]:
    """The third octets of 10.251.x.x addresses already configured in the root namespace."""
    text = run("ip", "-4", "-o", "addr", "show").stdout
    return {int(part.split(".")[2]) for part in text.split() if part.startswith("10.251.")}


class Namespace:
    """One network namespace with a veth pair to the root namespace (/30 between them)."""

    def __init__(self, label: str) -> None:
        taken = used_subnets()
        free = [octet for octet in range(100, 250) if octet not in taken]
        self.octet = random.choice(free)
        suffix = f"{os.getpid() % 1000}{self.octet}"
        self.name = f"ckpf-{label}-{suffix}"
        self.host_link = f"cf{label[:2]}{suffix}h"[:15]  # interface names: at most 15 characters
        self.inner_link = f"cf{label[:2]}{suffix}n"[:15]
        self.host_address = f"10.251.{self.octet}.1"
        self.address = f"10.251.{self.octet}.2"
        self.created = False

    def create(self) -> Namespace:
        run("ip", "netns", "add", self.name)
        self.created = True
        run("ip", "link", "add", self.host_link, "type", "veth", "peer", "name", self.inner_link)
        run("ip", "link", "set", self.inner_link, "netns", self.name)
        run("ip", "addr", "add", f"{self.host_address}/30", "dev", self.host_link)
        run("ip", "link", "set", self.host_link, "up")
        self.inside("ip", "addr", "add", f"{self.address}/30", "dev", self.inner_link)
        self.inside("ip", "link", "set", self.inner_link, "up")
        self.inside("ip", "link", "set", "lo", "up")
        return self

    def inside(self, *command: str, check: bool = True) -> subprocess.CompletedProcess:
        return run("ip", "netns", "exec", self.name, *command, check=check)

    def prefix(self) -> list[str]:
        """Prepended to a command to run it inside the namespace (`ip netns exec` execs it: same pid)."""
        return ["ip", "netns", "exec", self.name]

    def cut(self) -> None:
        """The region's side of the link goes down: the root side loses carrier and packets to the
        namespace go nowhere (no reset, no unreachable: a lost region, not a refused port)."""
        self.inside("ip", "link", "set", self.inner_link, "down")

    def restore(self) -> None:
        self.inside("ip", "link", "set", self.inner_link, "up")

    def slow_down(self, rate: str = "16kbit") -> None:
        """Everything the namespace sends leaves through a token bucket of `rate` (`tc tbf`) in
        packets of at most 576 bytes (MTU), so a worker's answer of a kilobyte takes about half a
        second. (`tc netem` would add a fixed delay, but this machine's kernel has no sch_netem;
        tbf is the kernel's own queueing all the same.)"""
        run("ip", "link", "set", self.host_link, "mtu", "576")
        self.inside("ip", "link", "set", self.inner_link, "mtu", "576")
        self.inside("tc", "qdisc", "replace", "dev", self.inner_link, "root", "tbf", "rate", rate,
                    "burst", "700", "latency", "10s")  # fmt: skip

    def pids(self) -> list[int]:
        result = run("ip", "netns", "pids", self.name, check=False)
        return [int(pid) for pid in result.stdout.split() if pid.isdigit()]

    def remove(self) -> None:
        """Deletes the namespace (and with it the veth pair and its qdisc). Idempotent."""
        if self.created:
            run("ip", "netns", "del", self.name, check=False)
            self.created = False
        run("ip", "link", "del", self.host_link, check=False)  # in case the namespace never took it

    def exists(self) -> bool:
        return Path(f"/run/netns/{self.name}").exists()
