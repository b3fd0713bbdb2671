"""The stack's environment: every variable name, its default and its validation, in one place.

`load()` reads the process environment over `<repo>/.env` (the real environment wins; an
empty value counts as unset) and returns a `Settings`, or raises `SettingsError` listing
every bad variable at once. Nothing else in stack/ reads os.environ.

The *_TARGETS and BRIDGE_URLS lists say which instances Prometheus scrapes and Alertmanager
notifies (several for high availability, docs/ha.md); by default the one at *_HOST:*_PORT.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from stack import durations
from stack.profiles import PROFILES, Profile

REPO = Path(__file__).resolve().parent.parent
DOTENV = REPO / ".env"
# a file name, not a secret: in STATE_DIR (bootstrap) and in the rendered dir (Alertmanager)
TOKEN_FILE = "bridge_token"  # noqa: S105
RUNBOOK_BASE_URL = "https://github.com/EliabLemus/taskmgr/blob/main/docs/runbook.md"

# Timing overrides: environment variable → the profile fields it replaces.
TIMING_OVERRIDES = {
    "SCRAPE_INTERVAL": ("scrape_interval",),
    "EVALUATION_INTERVAL": ("evaluation_interval",),
    "RULE_WINDOW": ("rule_window",),
    "ALERT_FOR": ("error_rate_for", "latency_for", "api_down_for"),
    "GROUP_WAIT": ("group_wait",),
    "GROUP_INTERVAL": ("group_interval",),
}
_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")
_TARGET = re.compile(rf"{_HOST.pattern}:([0-9]{{1,5}})")
# a bridge's base URL: its /webhook, /health and /metrics hang off it, so no path of its own
_BRIDGE_URL = re.compile(rf"(https?)://({_HOST.pattern})(?::([0-9]{{1,5}}))?/?")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_TOKEN = re.compile(r"[\x21-\x7e]+")  # visible ASCII: it goes into an HTTP header
_DOTENV_LINE = re.compile(r"(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)")


class SettingsError(ValueError):
    """Every problem found, one per line, so a bad .env is fixed in one go."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid stack settings:\n" + "\n".join(f"  {p}" for p in problems))


@dataclass(frozen=True)
class Settings:
    api_port: int
    bridge_port: int
    outbox_metrics_port: int
    prometheus_port: int
    alertmanager_port: int
    grafana_port: int
    redis_port: int
    api_host: str
    bridge_host: str
    outbox_host: str
    prometheus_host: str
    alertmanager_host: str
    prometheus_url: str
    redis_url: str
    grafana_url: str
    runbook_base_url: str
    error_rate_threshold: float  # percent of requests answered 5xx
    latency_p95_threshold: float  # milliseconds
    alert_cooldown_seconds: int
    timing: Profile  # the chosen profile with any overrides applied
    state_dir: Path
    bridge_token: str
    api_targets: tuple[str, ...]  # host:port of every API process (job taskmgr-api)
    bridge_urls: tuple[str, ...]  # base URL of every bridge, one scheme (no trailing slash)
    outbox_targets: tuple[str, ...]  # host:port of every delivery worker's /metrics
    alertmanager_targets: tuple[str, ...]  # host:port of every Alertmanager

    @property
    def window_label(self) -> str:
        """How the API summary names the rule window: "5 minutes" in production."""
        return durations.describe(self.timing.rule_window)

    @property
    def bridge_scheme(self) -> str:
        return _BRIDGE_URL.fullmatch(self.bridge_urls[0])[1]

    @property
    def bridge_targets(self) -> tuple[str, ...]:
        """host:port of every bridge, as Prometheus scrapes it (job taskmgr-bridge)."""
        return tuple(_bridge_target(url) for url in self.bridge_urls)


def load(
    environ: Mapping[str, str] | None = None,
    *,
    dotenv: Path | None = DOTENV,
    overrides: Mapping[str, str] | None = None,
) -> Settings:
    """Settings from `overrides` over `environ` (default os.environ) over `dotenv`.

    Raises SettingsError listing every bad variable.
    """
    env = environment(environ, dotenv=dotenv) | dict(overrides or {})
    read = _Reader(env)
    ports = {
        name: read(name, default, _port)
        for name, default in [
            ("API_PORT", "8000"),
            ("BRIDGE_PORT", "8001"),
            ("OUTBOX_METRICS_PORT", "8002"),
            ("PROMETHEUS_PORT", "9090"),
            ("ALERTMANAGER_PORT", "9093"),
            ("GRAFANA_PORT", "3000"),
            ("REDIS_PORT", "6380"),
        ]
    }
    hosts = {
        name: read(name, "127.0.0.1", _host)
        for name in [
            "API_HOST",
            "BRIDGE_HOST",
            "OUTBOX_HOST",
            "PROMETHEUS_HOST",
            "ALERTMANAGER_HOST",
        ]
    }
    prom_default = f"http://{hosts['PROMETHEUS_HOST']}:{ports['PROMETHEUS_PORT']}"
    bridge_target = _default_target(hosts["BRIDGE_HOST"], ports["BRIDGE_PORT"])
    state_dir = state_dir_from(env)
    values: dict[str, Any] = {
        **{name.lower(): value for name, value in {**ports, **hosts}.items()},
        "prometheus_url": read("PROMETHEUS_URL", prom_default, _http_url),
        "redis_url": read("REDIS_URL", f"redis://127.0.0.1:{ports['REDIS_PORT']}/0", _redis_url),
        "grafana_url": read("GRAFANA_URL", f"http://127.0.0.1:{ports['GRAFANA_PORT']}", _http_url),
        "runbook_base_url": read("RUNBOOK_BASE_URL", RUNBOOK_BASE_URL, _http_url),
        "error_rate_threshold": read("ERROR_RATE_THRESHOLD", "5.0", _percent),
        "latency_p95_threshold": read("LATENCY_P95_THRESHOLD", "500.0", _positive_number),
        "alert_cooldown_seconds": read("ALERT_COOLDOWN_SECONDS", "300", _positive_int),
        "timing": _timing(read),
        "state_dir": state_dir,
        "bridge_token": _bridge_token(env, state_dir, read.problems),
        "api_targets": read(
            "API_TARGETS", _default_target(hosts["API_HOST"], ports["API_PORT"]), _targets
        ),
        "bridge_urls": read(
            "BRIDGE_URLS", bridge_target and f"http://{bridge_target}", _bridge_urls
        ),
        "outbox_targets": read(
            "OUTBOX_TARGETS",
            _default_target(hosts["OUTBOX_HOST"], ports["OUTBOX_METRICS_PORT"]),
            _targets,
        ),
        "alertmanager_targets": read(
            "ALERTMANAGER_TARGETS",
            _default_target(hosts["ALERTMANAGER_HOST"], ports["ALERTMANAGER_PORT"]),
            _targets,
        ),
    }
    if read.problems:
        raise SettingsError(read.problems)
    return Settings(**values)


def environment(
    environ: Mapping[str, str] | None = None, *, dotenv: Path | None = DOTENV
) -> dict[str, str]:
    """The variables the stack sees: `dotenv` (if it exists) overlaid by the real environment."""
    merged = parse_dotenv(dotenv) if dotenv is not None and dotenv.is_file() else {}
    merged.update(os.environ if environ is None else environ)
    return {name: value for name, value in merged.items() if value != ""}


def state_dir_from(env: Mapping[str, str]) -> Path:
    """STATE_DIR (default `<repo>/.run`); a relative path is taken from the repo root."""
    path = Path(env.get("STATE_DIR", ".run")).expanduser()
    return path if path.is_absolute() else REPO / path


def parse_dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines; `#` comments, `export `, and one pair of surrounding quotes allowed."""
    values, problems = {}, []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _DOTENV_LINE.fullmatch(line)
        if not match:
            problems.append(f"{path}:{number}: expected KEY=VALUE, got {line!r}")
            continue
        name, value = match.groups()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        else:
            value = re.split(r"\s+#", value, maxsplit=1)[0].strip()
        values[name] = value
    if problems:
        raise SettingsError(problems)
    return values


class _Reader:
    """Parses one variable at a time and collects every problem instead of stopping."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.problems: list[str] = []

    def __call__(self, name: str, default: str | None, parse: Callable[[str], Any]) -> Any:
        """The parsed value, or None after noting the problem. A None default means it
        derives from variables already reported as bad: nothing more to say."""
        raw = self.env.get(name, default)
        if raw is None:
            return None
        try:
            return parse(raw)
        except ValueError as exc:
            self.problems.append(f"{name}={raw!r}: {exc}")
            return None


def _timing(read: _Reader) -> Profile | None:
    profile = read("TIMING_PROFILE", "production", _profile)
    if profile is None:
        return None
    for name, fields in TIMING_OVERRIDES.items():
        if name not in read.env:
            continue
        value = read(name, "", _duration(allow_zero=name in ("ALERT_FOR", "GROUP_WAIT")))
        if value is not None:
            profile = replace(profile, **dict.fromkeys(fields, value))
    shorter = min(profile.group_wait, profile.critical_group_wait, key=durations.seconds)
    profile = replace(profile, critical_group_wait=shorter)
    window, scrape = (
        durations.seconds(profile.rule_window),
        durations.seconds(profile.scrape_interval),
    )
    if window < 2 * scrape:
        # rate() needs two samples inside the window, or every recording rule is empty
        read.problems.append(
            f"RULE_WINDOW={profile.rule_window!r}: must span at least two scrapes "
            f"(SCRAPE_INTERVAL is {profile.scrape_interval})"
        )
    return profile


def _bridge_token(env: Mapping[str, str], state_dir: Path, problems: list[str]) -> str | None:
    token_file = state_dir / TOKEN_FILE
    if "ALERT_BRIDGE_TOKEN" in env:
        token = env["ALERT_BRIDGE_TOKEN"]
    elif token_file.is_file():
        token = token_file.read_text().strip()
    else:
        problems.append(
            f"ALERT_BRIDGE_TOKEN: not set and {token_file} does not exist "
            "(run `python -m stack.bootstrap token`, or set it)"
        )
        return None
    if not _TOKEN.fullmatch(token):
        # the value is a secret: say what is wrong without echoing it
        problems.append("ALERT_BRIDGE_TOKEN: must be non-empty visible ASCII without spaces")
        return None
    return token


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError("must be a whole number") from None


def _port(text: str) -> int:
    port = _whole(text)
    if not 1 <= port <= 65535:
        raise ValueError("must be a port number between 1 and 65535")
    return port


def _positive_int(text: str) -> int:
    value = _whole(text)
    if value < 1:
        raise ValueError("must be a whole number of at least 1")
    return value


def _positive_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError("must be a number") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError("must be a number greater than 0")
    return value


def _percent(text: str) -> float:
    value = _positive_number(text)
    if value > 100:
        raise ValueError("must be a percentage greater than 0 and at most 100")
    return value


def _host(text: str) -> str:
    if not _HOST.fullmatch(text):
        raise ValueError("must be a host name or IPv4 address")
    return text


def _default_target(host: str | None, port: int | None) -> str | None:
    return None if host is None or port is None else f"{host}:{port}"


def _matches(entry: re.Pattern[str], text: str) -> bool:
    """`text` fully matches `entry`, whose last group is an optional port number."""
    match = entry.fullmatch(text)
    port = match and match.groups()[-1]
    return bool(match) and (port is None or 1 <= int(port) <= 65535)


def _list(
    text: str, entry: re.Pattern[str], expected: str, key: Callable[[str], str]
) -> tuple[str, ...]:
    """Comma-separated entries that each match `entry`; every bad entry and every duplicate
    (same `key`) is named at once."""
    entries = [part.strip() for part in text.split(",")]
    bad = [e for e in entries if not _matches(entry, e)]
    keys = [key(e) for e in entries if e not in bad]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    problems = []
    if bad:
        problems.append(f"bad entries {', '.join(map(repr, bad))} (each must be {expected})")
    if twice:
        problems.append(f"listed more than once: {', '.join(twice)}")
    if problems:
        raise ValueError("; ".join(problems))
    return tuple(entries)


def _targets(text: str) -> tuple[str, ...]:
    expected = "host:port, with a port between 1 and 65535"
    return _list(text, _TARGET, expected, key=str.lower)


def _bridge_target(url: str) -> str:
    scheme, host, port = _BRIDGE_URL.fullmatch(url).groups()
    return f"{host.lower()}:{port or _DEFAULT_PORTS[scheme]}"


def _bridge_urls(text: str) -> tuple[str, ...]:
    expected = "an http or https URL with no path, such as http://10.0.0.5:8001"
    urls = tuple(url.rstrip("/") for url in _list(text, _BRIDGE_URL, expected, _bridge_target))
    if len({url.split("://")[0] for url in urls}) > 1:
        # Prometheus scrapes them all in one job, and a job has one scheme
        raise ValueError("all entries must use the same scheme, http or https")
    return urls


def _url(text: str, schemes: tuple[str, ...]) -> str:
    parts = urlsplit(text)
    if parts.scheme not in schemes or not parts.netloc or re.search(r"[\s\"'<>]", text):
        raise ValueError(f"must be a {' or '.join(schemes)} URL")
    return text.rstrip("/")


def _http_url(text: str) -> str:
    return _url(text, ("http", "https"))


def _redis_url(text: str) -> str:
    return _url(text, ("redis", "rediss"))


def _profile(text: str) -> Profile:
    if text not in PROFILES:
        raise ValueError(f"must be one of {', '.join(PROFILES)}")
    return PROFILES[text]


def _duration(allow_zero: bool) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if durations.seconds(text) == 0 and not allow_zero:
            raise ValueError("must be longer than 0")
        return text

    return parse
