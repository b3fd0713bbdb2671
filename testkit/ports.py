"""Free TCP ports on loopback for the servers a test starts.

Never from the kernel's ephemeral range (Linux: 32768-60999): a port the OS picked for us
and we then released is exactly the kind it hands to the next *outgoing* connection, of any
process (every scrape, every Redis client), and a server started on it a moment later fails
with "address already in use". So ports come from below that range, each pytest-xdist
worker from its own slice (no two workers can pick the same one), never twice in a process,
and only when nobody listens on it right now.
"""

import os
import random
import re
import socket

_LOW, _HIGH = 10_000, 32_000  # above well-known services, below the ephemeral range
_SLICES = 16  # xdist workers gw0..gw15 get their own slices; more wrap around
_given: set[int] = set()


def _slice() -> range:
    worker = re.fullmatch(r"gw(\d+)", os.environ.get("PYTEST_XDIST_WORKER", "gw0"))
    index = int(worker.group(1)) % _SLICES if worker else 0
    size = (_HIGH - _LOW) // _SLICES
    return range(_LOW + index * size, _LOW + (index + 1) * size)


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port nobody listens on right now, this worker's alone (a server that takes longer
    than this to bind can still race another program on the machine: accepted)."""
    ports = _slice()
    start = random.randrange(len(ports))  # noqa: S311 (spreads picks; not a secret)
    for offset in range(len(ports)):
        port = ports[(start + offset) % len(ports)]
        if port not in _given and _bindable(port):
            _given.add(port)
            return port
    raise RuntimeError(f"no free port left in {ports.start}..{ports.stop - 1}")
