"""Run a keyed request once per (user, Idempotency-Key) and replay its answer afterwards.

* The stored answer is written in the same transaction as the request's own write, so a
  task never exists without its key, nor a key without its task.
* Two requests racing on one key: the first takes a short marker in the shared cache
  (Redis, all workers); a repeat that finds it while nothing is stored yet is answered 409
  (the draft's "request is outstanding"). The database has the last word either way: if
  both run (the marker expired, Redis is down), the second insert of (user, key) waits for
  the first transaction and fails, that request's write is rolled back and it replays the
  first one's answer.
* 2xx and 4xx answers are stored; 5xx are not (their write is rolled back) and 429 never
  gets here (the throttle answers first), so a retry of those runs again.
* Expired keys are deleted lazily, the user's own at each keyed request, and all of them by
  `manage.py prune_idempotency_keys` (for users who stopped sending keys).
"""

import contextlib
import hashlib
import json
import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from redis.exceptions import RedisError
from rest_framework import exceptions, status
from rest_framework.response import Response

from idempotency.keys import REPLAYED_HEADER
from idempotency.models import IdempotencyKey

logger = logging.getLogger(__name__)

KEY_IN_PROGRESS = "A request with this Idempotency-Key is still being processed; retry shortly."
KEY_REUSED = (
    "This Idempotency-Key was already used with a different request (method, path or "
    "body); send a new key for a new request."
)


class KeyInProgress(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = KEY_IN_PROGRESS


class KeyReused(exceptions.APIException):
    status_code = 422
    default_detail = KEY_REUSED


def _stored(response: Response) -> bool:
    return 200 <= response.status_code < 300 or (
        400 <= response.status_code < 500 and response.status_code != 429
    )


def _replay(record: IdempotencyKey, request_fingerprint: str) -> Response:
    if record.fingerprint != request_fingerprint:
        raise KeyReused()
    headers = {REPLAYED_HEADER: "true"}
    if record.etag:
        headers["ETag"] = record.etag
    data = json.loads(record.body) if record.body else None
    return Response(data, status=record.status_code, headers=headers)


def _marker(user: AbstractBaseUser, key: str) -> str:
    """The cache key saying (user, key) is running; hashed, as a key may hold any of `!`-`~`."""
    return f"idempotency:{user.pk}:{hashlib.sha256(key.encode()).hexdigest()}"


def _take_marker(name: str) -> bool:
    try:
        # a request cannot outlive its gunicorn worker's timeout, nor then its marker
        return cache.add(name, 1, timeout=settings.GUNICORN_TIMEOUT)
    except RedisError:
        logger.warning("idempotency marker unavailable (Redis); the database still decides")
        return True


def _drop_marker(name: str) -> None:
    with contextlib.suppress(RedisError):  # it expires on its own
        cache.delete(name)


def _lookup(user: AbstractBaseUser, key: str) -> IdempotencyKey | None:
    return IdempotencyKey.objects.filter(user=user, key=key, expires_at__gt=timezone.now()).first()


def idempotent_response(
    *, user: AbstractBaseUser, key: str, request_fingerprint: str, run: Callable[[], Response]
) -> Response:
    """`run()`'s answer, run at most once for (user, key); raises KeyInProgress (409) or
    KeyReused (422). `run` turns the request's exceptions into answers (4xx) or raises."""
    marker = _marker(user, key)
    if not _take_marker(marker):
        record = _lookup(user, key)  # the first may have committed and not yet let go
        if record is None:
            raise KeyInProgress()
        return _replay(record, request_fingerprint)
    try:
        return _run_once(user, key, request_fingerprint, run)
    finally:
        _drop_marker(marker)


def _run_once(user, key, request_fingerprint, run) -> Response:
    with transaction.atomic():
        now = timezone.now()
        # lazy pruning, which also frees an expired key of this user for reuse
        IdempotencyKey.objects.filter(user=user, expires_at__lte=now).delete()
        record = IdempotencyKey.objects.filter(user=user, key=key).first()
        if record is not None:
            return _replay(record, request_fingerprint)
        response = run()
        if not _stored(response):
            transaction.set_rollback(True)  # a 5xx leaves nothing behind; a retry runs again
            return response
        try:
            with transaction.atomic():  # a savepoint: only this insert fails on a race
                IdempotencyKey.objects.create(
                    user=user,
                    key=key,
                    fingerprint=request_fingerprint,
                    status_code=response.status_code,
                    body=json.dumps(response.data, cls=DjangoJSONEncoder)
                    if response.data is not None
                    else "",
                    etag=response.get("ETag", ""),
                    expires_at=now + timedelta(seconds=settings.IDEMPOTENCY_KEY_TTL_SECONDS),
                )
        except IntegrityError:
            transaction.set_rollback(True)  # another worker ran this key first: undo ours
        else:
            return response
    record = _lookup(user, key)
    if record is None:  # the winner's row expired or vanished in between; cannot replay it
        raise KeyInProgress()
    return _replay(record, request_fingerprint)
