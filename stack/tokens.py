"""The one rule for a bearer token (ALERT_BRIDGE_TOKEN, METRICS_AUTH_TOKEN).

The stack checks it before rendering and the bridge again when it starts; both import it from
here, so a token the renderer accepts is never one a service refuses.
"""

import re

MIN_LENGTH = 16
_VISIBLE_ASCII = re.compile(r"[\x21-\x7e]+")  # it travels in an HTTP header


def token_problem(name: str, token: str) -> str | None:
    """What is wrong with `token`, naming the variable but never echoing the secret."""
    if len(token) < MIN_LENGTH or not _VISIBLE_ASCII.fullmatch(token):
        return (
            f"{name} must be at least {MIN_LENGTH} characters of visible ASCII, no spaces "
            "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    return None
