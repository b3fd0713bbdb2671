"""`manage.py ensure_superuser`: the operator (staff) account from DJANGO_SUPERUSER_*.

Idempotent, so `make run` calls it on every start: an existing user is left unchanged.
Nothing set is fine (no operator account); a username without a password is an error.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.services import superuser_ensure

NOT_CONFIGURED = "DJANGO_SUPERUSER_USERNAME is not set: no operator account created."
PASSWORD_MISSING = "DJANGO_SUPERUSER_USERNAME is set but DJANGO_SUPERUSER_PASSWORD is not."  # noqa: S105 - a message
CREATED = "Created staff superuser {username!r}."
EXISTS = "User {username!r} already exists; left unchanged."


class Command(BaseCommand):
    help = "Create the operator superuser from DJANGO_SUPERUSER_* if it does not exist."

    def handle(self, *args, **options):
        username = settings.SUPERUSER_USERNAME
        if not username:
            self.stdout.write(NOT_CONFIGURED)
            return
        if not settings.SUPERUSER_PASSWORD:
            raise CommandError(PASSWORD_MISSING)
        try:
            created = superuser_ensure(
                username=username,
                email=settings.SUPERUSER_EMAIL,
                password=settings.SUPERUSER_PASSWORD,
            )
        except ValidationError as exc:
            raise CommandError(f"DJANGO_SUPERUSER_PASSWORD: {' '.join(exc.messages)}") from None
        self.stdout.write((CREATED if created else EXISTS).format(username=username))
