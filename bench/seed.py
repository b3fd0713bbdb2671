"""Benchmark data for the API: migrate, one user with a token, and TASKS tasks.

    DJANGO_SETTINGS_MODULE=bench.django_settings SQLITE_PATH=... python -m bench.seed

prints the user's token. bench/servers.py runs it once per benchmark database; the
in-process task-list benchmark calls `seed()` after its own django.setup().
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import bench  # noqa: F401 - import roots

TASKS = 500  # the list at a realistic size: 25 pages of 20, so `next` is set
USERNAME = "bench"


def seed(tasks: int = TASKS) -> str:
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    from tasks.models import Priority, Status, Task

    call_command("migrate", verbosity=0)
    user = User.objects.create_user(USERNAME, "bench@example.com", "bench-Pass-4242")
    start = datetime(2025, 1, 1, tzinfo=UTC)
    Task.objects.bulk_create(
        Task(
            owner=user,
            title=f"Task {i}",
            description=f"Benchmark task number {i}, with a sentence of description.",
            status=Status.values[i % 3],
            priority=Priority.values[i % 3],
            due_date=start + timedelta(days=i),
        )
        for i in range(tasks)
    )
    return Token.objects.create(user=user).key


if __name__ == "__main__":
    import django

    django.setup()
    print(seed())
