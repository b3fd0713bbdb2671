"""`manage.py prune_idempotency_keys`: delete every expired Idempotency-Key (cron-able).

Keyed requests already delete their own user's expired keys; this catches the users who
stopped sending them.
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from idempotency.models import IdempotencyKey


class Command(BaseCommand):
    help = "Delete expired Idempotency-Key records."

    def handle(self, *args, **options):
        deleted, _ = IdempotencyKey.objects.filter(expires_at__lte=timezone.now()).delete()
        self.stdout.write(f"deleted {deleted} expired idempotency keys")
