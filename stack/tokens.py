"""The one rule for a secret the stack passes on: bearer tokens (ALERT_BRIDGE_TOKEN,
METRICS_AUTH_TOKEN) and the Acknowledge links' signing key (ACK_SIGNING_KEY, longer).

The stack checks it before rendering and the bridge again when it starts; both import it from
here, so a token the renderer accepts is never one a service refuses.
"""

import re

MIN_LENGTH = 16
# an HMAC-SHA256 key: 32 characters of token_urlsafe carry 192 bits (bootstrap makes 43)
MIN_SIGNING_KEY_LENGTH = 32
_VISIBLE_ASCII = re.compile(r"[\x21-\x7e]+")  # it travels in an HTTP header


def token_problem(name: str, token: str, min_length: int = MIN_LENGTH) -> str | None:
    """What is wrong with `token`, naming the variable but never echoing the secret."""
    if len(token) < min_length or not _VISIBLE_ASCII.fullmatch(token):
        return (
            f"{name} must be at least {min_length} characters of visible ASCII, no spaces "
            "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    return None
