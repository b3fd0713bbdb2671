"""Fixtures for the API tests: clients, users, tasks, and the API under real gunicorn."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tasks.services import task_create
from tests.api.servers import ApiServer

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _fresh_throttle_counts(redis_server):
    """Throttle counts live in the Django cache (Redis); no test inherits another's."""
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # Django's documented test speed-up; the production hasher is PBKDF2.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def make_user(db) -> Callable:
    counter = iter(range(1, 10_000))

    def make(username: str | None = None, **extra):
        username = username or f"user{next(counter)}"
        return get_user_model().objects.create_user(
            username=username, email=f"{username}@example.com", password=PASSWORD, **extra
        )

    return make


@pytest.fixture
def user(make_user):
    return make_user("alice")


@pytest.fixture
def client_for() -> Callable[..., APIClient]:
    """An API client authenticated with the user's token."""

    def make(user) -> APIClient:
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


@pytest.fixture
def auth_client(client_for, user) -> APIClient:
    return client_for(user)


@pytest.fixture
def make_task(db) -> Callable:
    def make(owner, **fields):
        fields.setdefault("title", "A task")
        return task_create(owner=owner, **fields)

    return make


@pytest.fixture
def gunicorn_api(tmp_path, redis_server) -> Iterator[Callable[..., str]]:
    """Start the API under real gunicorn (migrated SQLite in tmp_path); returns its base URL."""
    servers: list[ApiServer] = []

    def start(*extra_args: str, **env_overrides: str) -> str:
        workers = int(env_overrides.get("GUNICORN_WORKERS", 2))
        server = ApiServer(
            tmp_path / f"gunicorn{len(servers)}",
            redis_server.url,
            workers=workers,
            args=extra_args,
            env=env_overrides,
        )
        servers.append(server)
        server.process.start()
        return server.url

    yield start
    for server in servers:
        server.process.stop()
