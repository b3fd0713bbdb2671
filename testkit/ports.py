"""Free TCP ports on loopback for the servers a test starts."""

import socket


def free_port() -> int:
    """A port nobody listens on right now (the OS picks it; tiny race accepted)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
