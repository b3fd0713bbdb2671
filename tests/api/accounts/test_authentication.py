"""Our TokenAuthentication (its query compiled once) finds what DRF's stock one finds."""

import pytest
from rest_framework import authentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

from accounts.authentication import TokenAuthentication

pytestmark = pytest.mark.django_db


def fields(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.fields}


def test_the_user_and_token_are_the_ones_drf_loads(make_user):
    token = Token.objects.create(user=make_user("alice", first_name="Alice", is_staff=True))

    user, found = TokenAuthentication().authenticate_credentials(token.key)
    stock_user, stock_token = authentication.TokenAuthentication().authenticate_credentials(
        token.key
    )

    assert fields(user) == fields(stock_user)
    assert fields(found) == fields(stock_token)
    assert found.user is user


@pytest.mark.parametrize(
    ("active", "message"), [(True, "Invalid token."), (False, "User inactive or deleted.")]
)
def test_refusals_say_what_drf_says(make_user, active, message):
    token = Token.objects.create(user=make_user(is_active=active))
    key = "0" * 40 if active else token.key

    with pytest.raises(AuthenticationFailed) as refused:
        TokenAuthentication().authenticate_credentials(key)

    assert refused.value.detail == message
