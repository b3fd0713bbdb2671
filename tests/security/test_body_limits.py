"""Request body limits on both services under gunicorn: a body announced larger than the
limit is a JSON 413 before it is read; a chunked body (no length) is not read at all."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterable, Iterator
from urllib.parse import urlsplit

import pytest

from tests.bridge.conftest import TOKEN
from tests.security.conftest import start_bridge

MIB = 1024 * 1024
BRIDGE_LIMIT = 64 * 1024


def send(url: str, path: str, headers: dict[str, str], chunks: Iterable[bytes] = ()):
    """POST with exactly these headers, streaming `chunks` (chunked when no Content-Length);
    returns (status, headers, JSON body). The server may answer before reading everything."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.putrequest("POST", path)
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        chunked = "Content-Length" not in headers
        try:
            for chunk in chunks:
                conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
            if chunked:
                conn.send(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused mid-body: the answer is already waiting
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), json.loads(response.read())
    finally:
        conn.close()


def megabytes(n: int, chunk: int = 64 * 1024) -> Iterator[bytes]:
    for _ in range(n * MIB // chunk):
        yield b" " * chunk


@pytest.fixture(scope="module")
def small_bridge(tmp_path_factory):
    bridge = start_bridge(
        tmp_path_factory.mktemp("bridge"), BRIDGE_MAX_BODY_BYTES=str(BRIDGE_LIMIT)
    )
    try:
        yield bridge
    finally:
        bridge.stop()


@pytest.mark.parametrize("path", ["/api/v1/tasks/", "/api/v1/auth/register/", "/webhook-nope"])
def test_api_refuses_an_announced_body_over_one_mebibyte(live_api, path):
    headers = {**live_api.staff_headers, "Content-Type": "application/json"}
    status, got, body = send(live_api.url, path, {**headers, "Content-Length": str(MIB + 1)})

    assert status == 413
    assert got["Content-Type"] == "application/json"
    assert body == {"detail": f"Request body too large: the limit is {MIB} bytes."}


def test_api_ignores_a_chunked_body_it_cannot_size(live_api):
    # Django reads only Content-Length bytes; a chunked upload has none, so the body is
    # never read: a clear 400, nothing created, the worker not tied up by 8 MiB.
    headers = {**live_api.staff_headers, "Content-Type": "application/json"}
    status, _, body = send(live_api.url, "/api/v1/tasks/", headers, megabytes(8))

    assert status == 400
    assert "title" in body


def test_bridge_refuses_an_announced_body_over_its_limit(small_bridge):
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    status, got, body = send(
        small_bridge.url, "/webhook", {**headers, "Content-Length": str(BRIDGE_LIMIT + 1)}
    )

    assert status == 413
    assert got["Content-Type"] == "application/json"
    assert body["detail"] == f"request body is larger than {BRIDGE_LIMIT} bytes"


def test_bridge_ignores_a_chunked_body_it_cannot_size(small_bridge, redis_server):
    # As the API: gunicorn does not mark chunked input as terminated, so Werkzeug reads no
    # body at all; the 8 MiB are never buffered and nothing is stored.
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    status, _, body = send(small_bridge.url, "/webhook", headers, megabytes(8))

    assert status == 400
    assert body["detail"].startswith("body is not valid JSON")
    assert list(redis_server.client().scan_iter("taskmgr:alert*")) == []


def test_bridge_without_the_token_refuses_before_the_body(small_bridge):
    headers = {"Content-Type": "application/json", "Content-Length": str(100 * MIB)}
    status, _, body = send(small_bridge.url, "/webhook", headers)

    assert status == 401
    assert body["detail"].startswith("missing Authorization header")
