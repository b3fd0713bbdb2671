import pytest

from stack.durations import describe, seconds


@pytest.mark.parametrize(
    ("text", "expected"),
    [("15s", 15), ("5m", 300), ("1m30s", 90), ("1h", 3600), ("500ms", 0.5), ("0", 0)],
)
def test_seconds(text, expected):
    assert seconds(text) == expected


@pytest.mark.parametrize("text", ["", "5", "m", "5 m", "-1s", "1s1m", "5x", "1.5s"])
def test_seconds_rejects_what_prometheus_rejects(text):
    with pytest.raises(ValueError, match="not a Prometheus duration"):
        seconds(text)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("5m", "5 minutes"),
        ("15s", "15 seconds"),
        ("1m", "1 minute"),
        ("90s", "90 seconds"),
        ("2h", "2 hours"),
    ],
)
def test_describe(text, label):
    assert describe(text) == label
