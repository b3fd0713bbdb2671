"""The one stand-in our tests may use: a real HTTP server behaving like a Slack incoming webhook.

`FakeSlack()` listens on 127.0.0.1 (the OS picks a free port) in a background thread. A POST
of a valid message to `.url` answers 200 `ok` (text/html, like Slack) and the JSON body lands in
`.received`. Every request, failed ones too, is logged in `.attempts`.

Scripted behaviours, consumed one per request in order (then the default 200 again):

    (500,) (503,)                      that status, body `internal_error`
    (429, {"Retry-After": "2"})        429 with that header, body `rate_limited`
    (400, "invalid_payload")           that status with Slack's error body
    (status, body, headers)            the general form
    ("slow", seconds)                  wait, then handle normally (200 if the message is valid)
    ("timeout", seconds)               wait, then close the connection without any answer

It validates like Slack: a body that is not a JSON object → 400 `invalid_payload`; neither
`text` nor `blocks`/`attachments` → 400 `no_text`; blocks breaking Slack's documented limits
(50 blocks, section text 3000, header 150, 10 fields of 2000) → 400 `invalid_blocks`; a URL
other than the webhook's → 404 `no_service`.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

WEBHOOK_PATH = "/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX"

DEFAULT_BODIES = {429: "rate_limited", 404: "no_service", 400: "invalid_payload"}

# Slack's Block Kit limits (api.slack.com/reference/block-kit/blocks).
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_ATTACHMENTS = 100


@dataclass(frozen=True)
class Attempt:
    """One request as it arrived and the answer it got (`status` None: connection closed)."""

    at: float  # time.time() when the request arrived
    path: str
    body: bytes
    headers: dict[str, str]
    status: int | None
    response_body: str = ""
    response_headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class _Reply:
    status: int
    body: str
    headers: dict[str, str]


@dataclass(frozen=True)
class _Delay:
    kind: str  # "slow" or "timeout"
    seconds: float


def _parse_behaviour(behaviour: tuple) -> _Reply | _Delay:
    """One script entry → what to do; ValueError says what is wrong with it."""
    if not isinstance(behaviour, tuple) or not behaviour:
        raise ValueError(f"behaviour must be a non-empty tuple, got {behaviour!r}")
    head, *rest = behaviour
    if head in ("slow", "timeout"):
        if len(rest) != 1 or not isinstance(rest[0], int | float) or rest[0] < 0:
            raise ValueError(f"{head!r} takes one non-negative number of seconds: {behaviour!r}")
        return _Delay(head, float(rest[0]))
    if not isinstance(head, int) or not 100 <= head <= 599:
        raise ValueError(
            f"behaviour must start with an HTTP status, 'slow' or 'timeout': {behaviour!r}"
        )
    body = next((r for r in rest if isinstance(r, str)), None)
    headers = next((r for r in rest if isinstance(r, dict)), {})
    if len(rest) > 2 or any(not isinstance(r, str | dict) for r in rest):
        raise ValueError(f"expected (status[, body][, headers]): {behaviour!r}")
    if body is None:
        body = "ok" if head < 300 else DEFAULT_BODIES.get(head, "internal_error")
    return _Reply(head, body, {str(k): str(v) for k, v in headers.items()})


def _text_len(obj: Any) -> int:
    return len(obj.get("text", "")) if isinstance(obj, dict) else 0


def _blocks_error(blocks: Any) -> str | None:
    """Slack's answer to blocks it refuses, or None when they are fine."""
    if not isinstance(blocks, list) or len(blocks) > MAX_BLOCKS:
        return "invalid_blocks"
    for block in blocks:
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            return "invalid_blocks"
        if block["type"] == "header" and not 0 < _text_len(block.get("text")) <= MAX_HEADER_TEXT:
            return "invalid_blocks"
        if block["type"] == "section":
            fields = block.get("fields", [])
            if "text" not in block and not fields:
                return "invalid_blocks"
            if _text_len(block.get("text")) > MAX_SECTION_TEXT or len(fields) > MAX_FIELDS:
                return "invalid_blocks"
            if any(_text_len(f) > MAX_FIELD_TEXT for f in fields):
                return "invalid_blocks"
    return None


def validate(body: bytes) -> str | None:
    """Slack's error body for a message it would refuse, or None if it would post it."""
    try:
        message = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return "invalid_payload"
    if not isinstance(message, dict):
        return "invalid_payload"
    attachments = message.get("attachments", [])
    if not isinstance(attachments, list) or len(attachments) > MAX_ATTACHMENTS:
        return "invalid_attachments" if isinstance(attachments, list) else "invalid_payload"
    if not (message.get("text") or message.get("blocks") or attachments):
        return "no_text"
    if "blocks" in message and (error := _blocks_error(message["blocks"])):
        return error
    for attachment in attachments:
        if not isinstance(attachment, dict):
            return "invalid_attachments"
        if "blocks" in attachment and (error := _blocks_error(attachment["blocks"])):
            return error
    return None


class FakeSlack:
    """A Slack incoming webhook on a free local port; use as a context manager or close()."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._script: list[_Reply | _Delay] = []
        self._received: list[Any] = []
        self._attempts: list[Attempt] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}{WEBHOOK_PATH}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fake-slack", daemon=True
        )
        self._thread.start()

    @property
    def received(self) -> list[Any]:
        """Accepted messages (parsed JSON), in arrival order."""
        with self._lock:
            return list(self._received)

    @property
    def attempts(self) -> list[Attempt]:
        """Every request, accepted or not, in arrival order."""
        with self._lock:
            return list(self._attempts)

    def script(self, behaviours: list[tuple]) -> None:
        """Queue behaviours for the next requests (see the module docstring)."""
        parsed = [_parse_behaviour(b) for b in behaviours]  # all valid or none queued
        with self._lock:
            self._script.extend(parsed)

    def wait_for(self, n: int, timeout: float = 30) -> list[Any]:
        """Poll until at least n messages were accepted; return them all."""
        deadline = time.monotonic() + timeout
        while len(received := self.received) < n:
            if time.monotonic() >= deadline:
                break
            time.sleep(0.05)
        else:
            return received
        attempts = [(a.status, a.body[:200]) for a in self.attempts]
        raise AssertionError(
            f"expected {n} Slack messages within {timeout}s, got {len(received)}: {received!r}; "
            f"attempts (status, body): {attempts!r}"
        )

    def close(self) -> None:
        if self._closing.is_set():
            return
        self._closing.set()  # wakes requests sleeping in "slow"/"timeout"
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeSlack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _next_behaviour(self) -> _Reply | _Delay | None:
        with self._lock:
            return self._script.pop(0) if self._script else None

    def _respond(self, path: str, body: bytes, headers: dict[str, str]) -> _Reply | None:
        """Decide the answer to one request (None: drop the connection) and record it."""
        arrived = time.time()
        behaviour = self._next_behaviour()
        if isinstance(behaviour, _Delay):
            self._closing.wait(behaviour.seconds)
        if isinstance(behaviour, _Delay) and behaviour.kind == "timeout":
            reply = None
        elif isinstance(behaviour, _Reply):
            reply = behaviour
        elif path != WEBHOOK_PATH:
            reply = _Reply(404, "no_service", {})
        elif error := validate(body):
            reply = _Reply(400, error, {})
        else:
            reply = _Reply(200, "ok", {})
        with self._lock:
            # a scripted 200 accepts only what Slack itself would accept
            if reply is not None and reply.status == 200 and validate(body) is None:
                self._received.append(json.loads(body))
            self._attempts.append(
                Attempt(
                    at=arrived,
                    path=path,
                    body=body,
                    headers=headers,
                    status=reply.status if reply else None,
                    response_body=reply.body if reply else "",
                    response_headers=reply.headers if reply else {},
                )
            )
        return reply

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = self.headers.get("Content-Length", "0")
                body = self.rfile.read(int(length)) if length.isdigit() else b""
                reply = fake._respond(self.path, body, dict(self.headers))
                if reply is None:
                    self.close_connection = True
                    return
                payload = reply.body.encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the attempts list is the log; stderr noise hides real failures

        return Handler
