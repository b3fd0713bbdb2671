"""The strict environment parsers behind settings.py."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from taskmgr.env import env_bool, env_int, env_list, env_str


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("true", True), ("1", True), ("YES", True), ("off", False), ("0", False), ("", None)],
)
def test_env_bool(monkeypatch, raw, expected):
    monkeypatch.setenv("FLAG", raw)

    assert env_bool("FLAG", default=None) is expected


def test_env_int_default_and_minimum(monkeypatch):
    monkeypatch.delenv("COUNT", raising=False)
    assert env_int("COUNT", 7) == 7
    monkeypatch.setenv("COUNT", " 12 ")
    assert env_int("COUNT", 7) == 12
    monkeypatch.setenv("COUNT", "-1")
    with pytest.raises(ImproperlyConfigured, match="COUNT=-1 must be at least 0"):
        env_int("COUNT", 7)


def test_env_list_and_str(monkeypatch):
    monkeypatch.setenv("ORIGINS", " https://a.example , ,https://b.example ")
    assert env_list("ORIGINS") == ["https://a.example", "https://b.example"]
    monkeypatch.delenv("ORIGINS")
    assert env_list("ORIGINS") == []
    assert env_str("ORIGINS", "fallback") == "fallback"
