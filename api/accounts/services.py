"""Accounts: registration, API tokens and the operator (staff) account."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from rest_framework.authtoken.models import Token

User = get_user_model()

USERNAME_TAKEN = "A user with that username already exists."


def user_register(*, username: str, email: str, password: str) -> tuple[AbstractBaseUser, Token]:
    """A new user and their API token, both or neither. Raises ValidationError naming the
    field: a taken username, or a weak password (Django's AUTH_PASSWORD_VALIDATORS)."""
    user = User(username=username, email=email)
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            token = Token.objects.create(user=user)
    except IntegrityError:  # a concurrent registration won the race for the username
        raise ValidationError({"username": [USERNAME_TAKEN]}) from None
    return user, token


def token_for(*, user: AbstractBaseUser) -> Token:
    """The user's API token, created on first use (and again after a logout)."""
    token, _ = Token.objects.get_or_create(user=user)
    return token


def token_revoke(*, token: Token) -> None:
    token.delete()


def superuser_ensure(*, username: str, email: str, password: str) -> bool:
    """Create a staff superuser unless `username` exists (left unchanged). True if created."""
    if User.objects.filter(username=username).exists():
        return False
    validate_password(password, user=User(username=username, email=email))
    User.objects.create_superuser(username=username, email=email, password=password)
    return True
