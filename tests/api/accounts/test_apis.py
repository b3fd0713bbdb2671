"""Register, token and logout over HTTP, including the seed README's examples."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

from accounts.serializers import BAD_CREDENTIALS
from accounts.services import USERNAME_TAKEN
from tests.api.conftest import PASSWORD

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register/"
TOKEN = "/api/v1/auth/token/"
LOGOUT = "/api/v1/auth/logout/"
SEED_USER = {"username": "john", "email": "john@example.com", "password": "secure123"}


def test_seed_readme_register_then_token(api_client):
    registered = api_client.post(REGISTER, SEED_USER, format="json")

    assert registered.status_code == 201, registered.json()
    body = registered.json()
    assert body["user"] == {"username": "john", "email": "john@example.com"}
    assert Token.objects.get(user__username="john").key == body["token"]

    obtained = api_client.post(TOKEN, {"username": "john", "password": "secure123"}, format="json")
    assert obtained.status_code == 200
    assert obtained.json() == {"token": body["token"]}


def test_registered_token_authenticates(api_client):
    token = api_client.post(REGISTER, SEED_USER, format="json").json()["token"]

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get("/api/v1/tasks/").status_code == 200


def test_duplicate_username_is_400_naming_the_field(api_client, make_user):
    make_user("john")

    response = api_client.post(REGISTER, SEED_USER, format="json")

    assert response.status_code == 400
    assert response.json() == {"username": [USERNAME_TAKEN]}


@pytest.mark.parametrize("missing", ["username", "email", "password"])
def test_missing_field_is_400_naming_it(api_client, missing):
    body = {k: v for k, v in SEED_USER.items() if k != missing}

    response = api_client.post(REGISTER, body, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [missing]


@pytest.mark.parametrize("password", ["short1", "12345678901", "password123", "john-example"])
def test_weak_password_is_400_and_creates_nothing(api_client, password):
    response = api_client.post(REGISTER, {**SEED_USER, "password": password}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["password"]
    assert not get_user_model().objects.exists()
    assert not Token.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"), [("email", "not-an-email"), ("username", "bad name!"), ("username", "")]
)
def test_invalid_fields_are_400(api_client, field, value):
    response = api_client.post(REGISTER, {**SEED_USER, field: value}, format="json")

    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize(
    "credentials",
    [{"username": "alice", "password": "wrong"}, {"username": "nobody", "password": PASSWORD}],
)
def test_bad_credentials_are_400(api_client, user, credentials):
    response = api_client.post(TOKEN, credentials, format="json")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [BAD_CREDENTIALS]}


def test_inactive_user_gets_no_token(api_client, make_user):
    make_user("sleepy", is_active=False)

    response = api_client.post(TOKEN, {"username": "sleepy", "password": PASSWORD}, format="json")

    assert response.status_code == 400


def test_logout_revokes_the_token_and_a_new_login_gets_a_new_one(api_client, auth_client, user):
    old = Token.objects.get(user=user).key

    assert auth_client.post(LOGOUT).status_code == 204
    assert auth_client.get("/api/v1/tasks/").status_code == 401

    new = api_client.post(TOKEN, {"username": "alice", "password": PASSWORD}, format="json")
    assert new.json()["token"] != old


def test_logout_needs_a_token(api_client):
    assert api_client.post(LOGOUT).status_code == 401
