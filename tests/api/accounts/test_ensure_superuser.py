"""`manage.py ensure_superuser`, configured by DJANGO_SUPERUSER_* (as settings)."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from accounts.management.commands.ensure_superuser import (
    CREATED,
    EXISTS,
    NOT_CONFIGURED,
    PASSWORD_MISSING,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(settings):
    settings.SUPERUSER_USERNAME = "ops"
    settings.SUPERUSER_PASSWORD = "an-0perator-pass"
    settings.SUPERUSER_EMAIL = "ops@example.com"
    return settings


def run(capsys) -> str:
    call_command("ensure_superuser")
    return capsys.readouterr().out.strip()


def test_creates_the_operator_then_is_idempotent(operator, capsys):
    assert run(capsys) == CREATED.format(username="ops")
    assert run(capsys) == EXISTS.format(username="ops")

    ops = get_user_model().objects.get(username="ops")
    assert ops.is_staff and ops.is_superuser and ops.email == "ops@example.com"


def test_without_a_username_it_does_nothing(settings, capsys):
    settings.SUPERUSER_USERNAME = ""

    assert run(capsys) == NOT_CONFIGURED
    assert not get_user_model().objects.exists()


def test_username_without_password_is_an_error(operator):
    operator.SUPERUSER_PASSWORD = ""

    with pytest.raises(CommandError, match=PASSWORD_MISSING):
        call_command("ensure_superuser")


def test_weak_password_is_an_error_naming_the_variable(operator):
    operator.SUPERUSER_PASSWORD = "123"

    with pytest.raises(CommandError, match="DJANGO_SUPERUSER_PASSWORD"):
        call_command("ensure_superuser")
    assert not get_user_model().objects.exists()
