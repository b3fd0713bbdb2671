"""One stored answer per (user, Idempotency-Key), written in the transaction of the write.

The unique constraint is what makes a key run once: a second transaction inserting the same
(user, key) waits for the first and fails, so its own write is rolled back (services.py).
"""

from django.conf import settings
from django.db import models


class IdempotencyKey(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # sha256 of the method, the path and the parsed JSON body (keys.fingerprint)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    # the JSON answer as text: a JSON column would refuse a "\u0000" an error message echoes
    body = models.TextField(blank=True)
    etag = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key_unique")
        ]
        indexes = [models.Index(fields=["expires_at"], name="idempotency_expires_idx")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
