"""`load()`: the table (stack/settings/table.py) read over the environment, all at once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from stack import durations, slo, tokens
from stack.profiles import Profile
from stack.settings import parsers
from stack.settings.dotenv import DOTENV, SettingsError, environment, state_dir_from
from stack.settings.table import BY_NAME, VARIABLES, Variable

# a file name, not a secret: in STATE_DIR (bootstrap) and in the rendered dir (Alertmanager)
TOKEN_FILE = "bridge_token"  # noqa: S105
ACK_KEY_FILE = "ack_signing_key"  # in STATE_DIR (bootstrap); the bridge reads its env file
# secrets `make run` generates once into STATE_DIR (stack.bootstrap): variable → file
STORED_SECRETS = {"ALERT_BRIDGE_TOKEN": TOKEN_FILE, "ACK_SIGNING_KEY": ACK_KEY_FILE}
# Timing overrides: environment variable → the profile fields it replaces.
TIMING_OVERRIDES = {
    "SCRAPE_INTERVAL": ("scrape_interval",),
    "EVALUATION_INTERVAL": ("evaluation_interval",),
    "RULE_WINDOW": ("rule_window",),
    "ALERT_FOR": ("error_rate_for", "latency_for", "api_down_for"),
    "GROUP_WAIT": ("group_wait",),
    "GROUP_INTERVAL": ("group_interval",),
}


@dataclass(frozen=True)
class Settings:
    """Every variable's value: `settings.api_port`, `settings.timing` (the profile with its
    overrides), `settings.bridge_token`; `text` holds each as its process reads it."""

    values: Mapping[str, Any]  # variable name → parsed value (shared variables)
    text: Mapping[str, str]  # variable name → what its processes receive (set ones only)
    state_dir: Path

    def __getattr__(self, attribute: str) -> Any:
        try:
            return self.values[_ATTRIBUTES[attribute]]
        except KeyError:
            raise AttributeError(attribute) from None

    @property
    def bridge_scheme(self) -> str:
        return parsers.url_scheme(self.bridge_urls[0])

    @property
    def bridge_targets(self) -> tuple[str, ...]:
        """host:port of every bridge, as Prometheus scrapes it (job taskmgr-bridge)."""
        return tuple(parsers.bridge_target(url) for url in self.bridge_urls)


_ATTRIBUTES = {v.attribute: v.name for v in VARIABLES if not v.owned}
# a list variable → the variable that is its single case (table: `one_of`)
_SINGLE_CASES = {v.one_of: v.name for v in VARIABLES if v.one_of}


def load(
    environ: Mapping[str, str] | None = None,
    *,
    dotenv: Path | None = DOTENV,
    overrides: Mapping[str, str] | None = None,
    require_token: bool = True,
) -> Settings:
    """Settings from `overrides` over `environ` (default os.environ) over `dotenv`.

    Raises SettingsError listing every bad variable. Without `require_token`, a missing
    ALERT_BRIDGE_TOKEN or ACK_SIGNING_KEY is left empty (for the defaults of processes that
    never see them).
    """
    env = environment(environ, dotenv=dotenv) | dict(overrides or {})
    state_dir = state_dir_from(env)
    problems: list[str] = []
    values: dict[str, Any] = {}
    text: dict[str, str] = {}
    for variable in VARIABLES:
        if variable.owned:
            if variable.name in env:
                text[variable.name] = env[variable.name]
            continue
        if variable.name in STORED_SECRETS:
            raw = _stored_secret(variable.name, env, state_dir, problems, require_token)
        elif variable.derived:
            if variable.name in env:
                problems.append(f"{variable.name}: derived from the timing profile; unset it")
            raw = variable.default(values)
        else:
            raw = _raw(variable, env, values)
        value = _parse(variable, raw, problems)
        if variable.one_of and value is not None:
            value = _one_of(variable, value, values.get(variable.one_of), problems)
        if variable.name == "TIMING_PROFILE" and value is not None:
            value = _timing(value, env, problems)
        values[variable.name] = value
        if value is not None:
            text[variable.name] = raw if isinstance(value, Profile) else parsers.text_of(value)
    if problems:
        raise SettingsError(problems)
    return Settings(values=values, text=text, state_dir=state_dir)


def _raw(variable: Variable, env: Mapping[str, str], values: dict[str, Any]) -> str | None:
    if variable.name in env:
        return env[variable.name]
    if _SINGLE_CASES.get(variable.name) in env:  # the list given as its single case
        return env[_SINGLE_CASES[variable.name]]
    default = variable.default
    return default(values) if callable(default) else default


def _parse(variable: Variable, raw: str | None, problems: list[str]) -> Any:
    """The parsed value, or None after noting the problem. A None `raw` means it derives
    from variables already reported as bad: nothing more to say."""
    if raw is None:
        return None
    try:
        value = variable.parse(raw)
    except ValueError as exc:
        shown = "" if variable.secret else f"={raw!r}"
        problems.append(f"{variable.name}{shown}: {exc}")
        return None
    if variable.secret and variable.name in _KEY_LENGTHS and value:
        problem = tokens.token_problem(variable.name, value, _KEY_LENGTHS[variable.name])
        if problem:
            problems.append(problem)
            return None
    return value


def _one_of(variable: Variable, value: Any, entries: tuple | None, problems: list[str]) -> Any:
    """`value` when it is one of `entries` (the list it is the single case of), else None
    after noting the disagreement (None `entries`: the list was bad, already said)."""
    if entries is None or value in entries:
        return value
    problems.append(
        f"{variable.name}={value!r}: must be one of {variable.one_of} "
        f"({', '.join(entries)}), or unset (then it is the first)"
    )
    return None


def _timing(profile: Profile, env: Mapping[str, str], problems: list[str]) -> Profile | None:
    broken = False
    for name, fields in TIMING_OVERRIDES.items():
        if name not in env:
            continue
        try:
            value = parsers.duration(allow_zero=name in ("ALERT_FOR", "GROUP_WAIT"))(env[name])
        except ValueError as exc:
            problems.append(f"{name}={env[name]!r}: {exc}")
            broken = True
            continue
        profile = replace(profile, **dict.fromkeys(fields, value))
    shorter = min(profile.group_wait, profile.critical_group_wait, key=durations.seconds)
    profile = replace(profile, critical_group_wait=shorter)
    window, scrape = (
        durations.seconds(profile.rule_window),
        durations.seconds(profile.scrape_interval),
    )
    if window < 2 * scrape:
        # rate() needs two samples inside the window, or every recording rule is empty
        problems.append(
            f"RULE_WINDOW={profile.rule_window!r}: must span at least two scrapes "
            f"(SCRAPE_INTERVAL is {profile.scrape_interval})"
        )
        broken = True
    if durations.seconds(slo.scaled(slo.SHORTEST, profile)) < 4 * scrape:
        # the shortest burn-rate window must hold several samples, or the page flickers
        problems.append(
            f"SCRAPE_INTERVAL={profile.scrape_interval!r}: the {profile.name} profile's "
            f"shortest SLO window ({slo.scaled(slo.SHORTEST, profile)}) must span at least "
            "four scrapes"
        )
        broken = True
    return None if broken else profile


# the secrets checked by stack/tokens.py's rule, with their minimum length
_KEY_LENGTHS = {
    "ALERT_BRIDGE_TOKEN": tokens.MIN_LENGTH,
    "METRICS_AUTH_TOKEN": tokens.MIN_LENGTH,
    "ACK_SIGNING_KEY": tokens.MIN_SIGNING_KEY_LENGTH,
}


def _stored_secret(
    name: str, env: Mapping[str, str], state_dir: Path, problems: list[str], required: bool
) -> str | None:
    """`name` from the environment, else from its file in STATE_DIR (make run made it)."""
    secret_file = state_dir / STORED_SECRETS[name]
    if name in env:
        return env[name]
    if secret_file.is_file():
        return secret_file.read_text().strip()
    if not required:
        return ""
    problems.append(
        f"{name}: not set and {secret_file} does not exist "
        "(run `python -m stack.bootstrap token`, or set it)"
    )
    return None


assert all(BY_NAME[name].secret for name in _KEY_LENGTHS)  # never echoed: _parse relies on it
