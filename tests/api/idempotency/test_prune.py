"""`manage.py prune_idempotency_keys` deletes expired keys only."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from idempotency.models import IdempotencyKey

pytestmark = pytest.mark.django_db


def test_prune_deletes_expired_keys_only(make_user, capsys):
    user = make_user()
    now = timezone.now()
    for key, expires_at in (("old", now - timedelta(seconds=1)), ("live", now + timedelta(1))):
        IdempotencyKey.objects.create(
            user=user, key=key, fingerprint="f", status_code=201, expires_at=expires_at
        )

    call_command("prune_idempotency_keys")

    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["live"]
    assert "deleted 1 expired idempotency keys" in capsys.readouterr().out
