"""Ports for the servers a test starts itself (Temporal, the API, metrics, `clearway up`).

Below the kernel's ephemeral range, on purpose: a port taken with `bind(0)` comes from
that range, and once released the kernel may hand it to any outgoing connection on the
machine (the suite opens thousands) before the test's server binds it. That happened in
a clean-clone CI run: Temporal's frontend found its port "already in use" and exited.
Below the range only another listener can take a port, and each port is handed out once
per test process."""

from __future__ import annotations

import random
import socket
from pathlib import Path

_LOWEST = 20_000
_given: set[int] = set()


def _ephemeral_start() -> int:
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32_768  # Linux's default
    return low


def free_port() -> int:
    """A port nobody listens on now, below the ephemeral range, not given out before."""
    high = _ephemeral_start()
    if high - _LOWEST < 1_000:
        raise RuntimeError(f"the ephemeral range starts at {high}: too low to pick below it")
    for _ in range(200):
        port = random.randrange(_LOWEST, high)
        if port in _given:
            continue
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _given.add(port)
        return port
    raise RuntimeError(f"no free port found between {_LOWEST} and {high}")
