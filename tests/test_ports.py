"""testkit.ports: servers a test starts never land on a port the kernel may hand to an
outgoing connection, nor on one another worker picked."""

import socket

import pytest

from testkit import ports


def _ephemeral() -> range:
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        low, high = (int(n) for n in f.read().split())
    return range(low, high + 1)


def test_ports_are_distinct_bindable_and_outside_the_ephemeral_range():
    given = [ports.free_port() for _ in range(50)]

    assert len(set(given)) == 50
    assert not set(given) & set(_ephemeral())
    for port in given[:5]:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))


def test_a_port_someone_listens_on_is_never_given(monkeypatch):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        taken = listener.getsockname()[1]
        monkeypatch.setattr(ports, "_slice", lambda: range(taken, taken + 1))

        with pytest.raises(RuntimeError, match="no free port"):
            ports.free_port()


def test_each_xdist_worker_has_its_own_slice(monkeypatch):
    slices = []
    for worker in ("gw0", "gw1", "gw7"):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
        slices.append(set(ports._slice()))

    assert all(slices) and not (slices[0] & slices[1] or slices[1] & slices[2])
