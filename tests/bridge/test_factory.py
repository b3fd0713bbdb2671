"""create_app builds from the environment or from the config a test passes (flaskr style)."""

import pytest

from bridge import create_app
from bridge.config import ConfigError
from tests.bridge.conftest import TOKEN, stack_bridge_env


def test_reads_the_environment_without_a_config(monkeypatch, redis_server):
    for name, value in stack_bridge_env().items():  # what its bridge.env would hold
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("BRIDGE_MAX_BODY_BYTES", "1234")

    app = create_app()

    assert app.config["BRIDGE"].token == TOKEN
    assert app.config["MAX_CONTENT_LENGTH"] == 1234


def test_refuses_to_start_without_a_token(monkeypatch):
    monkeypatch.delenv("ALERT_BRIDGE_TOKEN", raising=False)

    with pytest.raises(ConfigError, match="ALERT_BRIDGE_TOKEN is required"):
        create_app()


def test_uses_the_config_it_is_given(config):
    assert create_app(config).config["BRIDGE"] is config


def test_unknown_paths_and_methods_answer_json(client):
    missing = client.get("/nope")
    wrong_method = client.get("/webhook")

    assert missing.status_code == 404 and "detail" in missing.get_json()
    assert wrong_method.status_code == 405 and "detail" in wrong_method.get_json()
