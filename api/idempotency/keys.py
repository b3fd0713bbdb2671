"""The Idempotency-Key header (IETF httpapi draft): parsing, and the request fingerprint.

The draft makes the field a Structured Field string (RFC 8941 §3.3.3, `"…"` with `\\"` and
`\\\\` escapes); clients commonly send a bare UUID, so both are accepted. Either way the key
is 1 to 255 visible ASCII characters.
"""

import hashlib
import json

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_LENGTH = 255
KEY_INVALID = (
    "Idempotency-Key must be 1 to 255 visible ASCII characters, bare (a UUID) or as a "
    'quoted string ("…", RFC 8941).'
)


def _visible(text: str) -> bool:
    return all("!" <= char <= "~" for char in text)


def _unquote(value: str) -> str:
    """An sf-string's content; ValueError when it is not exactly one sf-string."""
    chars, escaped = [], False
    for position, char in enumerate(value[1:], start=1):
        if escaped:
            if char not in '"\\':
                raise ValueError(KEY_INVALID)
            chars.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            if position != len(value) - 1:  # parameters or trailing text: not just a string
                raise ValueError(KEY_INVALID)
            return "".join(chars)
        elif " " <= char <= "~":
            chars.append(char)
        else:
            raise ValueError(KEY_INVALID)
    raise ValueError(KEY_INVALID)  # no closing quote


def parse_key(value: str) -> str:
    """The key a header value carries; ValueError (KEY_INVALID) when it is not one."""
    key = _unquote(value) if value.startswith('"') else value
    if not 1 <= len(key) <= MAX_LENGTH or not _visible(key):
        raise ValueError(KEY_INVALID)
    return key


def fingerprint(*, method: str, path: str, data) -> str:
    """The same request is the same method and path with the same parsed JSON body: key
    order and whitespace do not count."""
    body = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{method} {path}\n{body}".encode()).hexdigest()
