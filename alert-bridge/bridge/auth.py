"""The shared bearer token Alertmanager sends; compared in constant time, never logged."""

from __future__ import annotations

import functools
import hmac

from flask import current_app, request

from bridge import metrics
from bridge.errors import json_error

_REALM = 'Bearer realm="taskmgr-alert-bridge"'


def token_problem(header: str | None, token: str) -> str | None:
    """Why `Authorization: <header>` does not carry `token`, or None when it does."""
    if not header or not header.strip():
        return "missing Authorization header (expected: Bearer <token>)"
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return "Authorization scheme must be Bearer"
    credentials = credentials.strip()
    if not credentials:
        return "Bearer token is missing"
    if not hmac.compare_digest(credentials.encode(), token.encode()):
        return "invalid bearer token"
    return None


def token_required(view):
    """401 with WWW-Authenticate unless the request carries the bridge token."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        problem = token_problem(
            request.headers.get("Authorization"), current_app.config["BRIDGE"].token
        )
        if problem is None:
            return view(*args, **kwargs)
        metrics.WEBHOOKS_RECEIVED.labels(outcome="unauthorized").inc()
        response = json_error(401, problem)
        response.headers["WWW-Authenticate"] = _REALM
        return response

    return wrapped
