"""A TCP proxy a test controls, to partition one server from its clients and heal it.

`TcpProxy()` listens on a free loopback port at once (so a config can name it before the
server behind it exists); `forward_to(port)` sets the server. Each accepted connection is
piped both ways by two threads. `cut()` drops every open connection and resets every new
one until `heal()`, which is what a client sees of a partition (errors, no answer). With no
server set yet it behaves as cut.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading


def _reset(sock: socket.socket) -> None:
    """Close with RST (linger 0), the way a dead path looks to the client."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class TcpProxy:
    """Use as a context manager or call close(); `address` is `127.0.0.1:<port>`."""

    def __init__(self, upstream_port: int | None = None) -> None:
        self._lock = threading.Lock()
        self._upstream = upstream_port
        self._open = True
        self._closed = False
        self._pipes: set[socket.socket] = set()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.address = f"127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._accept, name="tcp-proxy", daemon=True)
        self._thread.start()

    def forward_to(self, port: int) -> None:
        with self._lock:
            self._upstream = port

    def cut(self) -> None:
        """Partition: drop open connections, reset new ones."""
        with self._lock:
            self._open = False
            pipes, self._pipes = self._pipes, set()
        for sock in pipes:
            _reset(sock)

    def heal(self) -> None:
        with self._lock:
            self._open = True

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self.cut()
        # accept() is not woken by close() on Linux; shutdown() does
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._thread.join(timeout=5)

    def __enter__(self) -> TcpProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            with self._lock:
                upstream = self._upstream if self._open and not self._closed else None
            if upstream is None:
                _reset(client)
                continue
            try:
                server = socket.create_connection(("127.0.0.1", upstream), timeout=5)
            except OSError:
                _reset(client)
                continue
            server.settimeout(None)
            with self._lock:
                if not self._open:  # cut while we were connecting
                    _reset(client)
                    _reset(server)
                    continue
                self._pipes.update((client, server))
            pair = _Pair(client, server)
            for source, sink in ((client, server), (server, client)):
                args = (pair, source, sink)
                threading.Thread(target=self._pump, args=args, daemon=True).start()

    def _pump(self, pair: _Pair, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass  # reset by cut() or by either end
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)  # pass the end of the stream on
        if pair.one_direction_done():
            with self._lock:
                self._pipes.difference_update(pair.sockets)
            for sock in pair.sockets:
                sock.close()


class _Pair:
    """A client connection and its server connection; closed once both directions end."""

    def __init__(self, *sockets: socket.socket) -> None:
        self.sockets = sockets
        self._lock = threading.Lock()
        self._done = 0

    def one_direction_done(self) -> bool:
        """Count one finished direction; True for the second (time to close both)."""
        with self._lock:
            self._done += 1
            return self._done == 2
