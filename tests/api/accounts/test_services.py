"""Account services: registration is all-or-nothing; the operator account is idempotent."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from rest_framework.authtoken.models import Token

from accounts.services import superuser_ensure, token_for, token_revoke, user_register

pytestmark = pytest.mark.django_db

User = get_user_model()


def test_register_creates_user_and_token(db):
    user, token = user_register(username="john", email="john@example.com", password="secure123")

    assert user.check_password("secure123")
    assert not user.is_staff
    assert token.user == user


def test_register_with_a_taken_username_leaves_no_partial_state(make_user):
    make_user("john")

    with pytest.raises(ValidationError) as raised:
        user_register(username="john", email="other@example.com", password="secure123")

    assert set(raised.value.message_dict) == {"username"}
    assert User.objects.count() == 1
    assert not Token.objects.exists()


def test_token_for_reuses_then_recreates_after_revoke(user):
    first = token_for(user=user)
    assert token_for(user=user) == first

    token_revoke(token=first)

    assert token_for(user=user).key != first.key


def test_superuser_ensure_creates_once_and_never_overwrites(db):
    assert superuser_ensure(username="ops", email="ops@example.com", password="an-0perator-pass")
    assert not superuser_ensure(username="ops", email="x@example.com", password="different-pass-1")

    ops = User.objects.get(username="ops")
    assert ops.is_staff and ops.is_superuser
    assert ops.check_password("an-0perator-pass")


def test_superuser_ensure_rejects_a_weak_password(db):
    with pytest.raises(ValidationError):
        superuser_ensure(username="ops", email="", password="ops")

    assert not User.objects.exists()
