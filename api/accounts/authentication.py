"""DRF's TokenAuthentication with its one query compiled once (taskmgr.compiled): the same
token and user, the same checks and the same errors, without Django building the SQL of
`select_related("user").get(key=...)` on every request."""

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from taskmgr.compiled import CompiledQuery

User = get_user_model()
_USER_FIELDS = [field.attname for field in User._meta.concrete_fields]
_TOKEN_FIELDS = ["key", "created"]
# one row: the token's fields, then its user's; "" is no token's key
_TOKEN_AND_USER = CompiledQuery(
    lambda key: Token.objects.filter(key=key).values_list(
        *_TOKEN_FIELDS, *(f"user__{name}" for name in _USER_FIELDS)
    ),
    "",
)


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        rows = _TOKEN_AND_USER.rows(key)
        if not rows:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        row = rows[0]
        user = User.from_db(DEFAULT_DB_ALIAS, _USER_FIELDS, row[len(_TOKEN_FIELDS) :])
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        key, created = row[: len(_TOKEN_FIELDS)]
        token = Token.from_db(
            DEFAULT_DB_ALIAS, ["key", "user_id", "created"], [key, user.pk, created]
        )
        token.user = user
        return user, token
