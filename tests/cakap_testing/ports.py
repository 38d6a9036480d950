"""Free loopback ports for the servers a test starts."""

from __future__ import annotations

import socket


def free_ports(count: int) -> list[int]:
    """`count` distinct free ports: all probes stay bound until every port is chosen (one probe at a
    time can get the same port twice, as the faults tier saw on 6 December: "Address already in use")."""
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()
