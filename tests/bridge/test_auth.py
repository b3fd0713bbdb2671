"""bridge.auth: the bearer token, parsed defensively; every refusal is a JSON 401."""

import pytest

from bridge.auth import token_problem
from tests.bridge.conftest import TOKEN, auth
from tests.bridge.payloads import alert, webhook


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        (None, "missing Authorization header"),
        ("", "missing Authorization header"),
        ("   ", "missing Authorization header"),
        ("Bearer", "Bearer token is missing"),
        ("Bearer    ", "Bearer token is missing"),
        (f"Basic {TOKEN}", "Authorization scheme must be Bearer"),
        (TOKEN, "Authorization scheme must be Bearer"),
        ("Bearer wrong-token-0123456789", "invalid bearer token"),
        (f"Bearer {TOKEN}x", "invalid bearer token"),
        ("Bearer ünïcödé-tökén-0123456789", "invalid bearer token"),
        (f"Bearer {TOKEN}", None),
        (f"bearer   {TOKEN}  ", None),
    ],
)
def test_token_problem(header, problem):
    found = token_problem(header, TOKEN)

    assert found is None if problem is None else problem in found


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Token abc"},
        auth("wrong-token-0123456789"),
    ],
)
def test_the_webhook_refuses_without_the_token_and_stores_nothing(client, store, headers):
    response = client.post("/webhook", json=webhook(alert()), headers=headers)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["detail"]
    assert store.dbsize() == 0


def test_the_token_is_never_in_the_answer_or_the_log(client, caplog):
    caplog.set_level("DEBUG")
    client.post("/webhook", json=webhook(alert()), headers=auth("wrong-token-0123456789"))
    client.post("/webhook", json=webhook(alert()), headers=auth())

    assert TOKEN not in caplog.text
    assert "wrong-token" not in caplog.text


def test_the_right_token_is_accepted(client):
    assert client.post("/webhook", json=webhook(alert()), headers=auth()).status_code == 200
