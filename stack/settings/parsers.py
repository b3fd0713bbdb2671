"""Text → value for every stack variable; each raises ValueError saying what is expected."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from urllib.parse import urlsplit

from stack import durations, slo
from stack.profiles import PROFILES, Profile

_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")
_TARGET = re.compile(rf"{_HOST.pattern}:([0-9]{{1,5}})")
# a bridge's base URL: its /webhook, /health and /metrics hang off it, so no path of its own
_BRIDGE_URL = re.compile(rf"(https?)://({_HOST.pattern})(?::([0-9]{{1,5}}))?/?")
_SENTINEL_MASTER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError("must be a whole number") from None


def port(text: str) -> int:
    value = whole(text)
    if not 1 <= value <= 65535:
        raise ValueError("must be a port number between 1 and 65535")
    return value


def non_negative_int(text: str) -> int:
    value = whole(text)
    if value < 0:
        raise ValueError("must be a whole number of at least 0")
    return value


def positive_int(text: str) -> int:
    value = whole(text)
    if value < 1:
        raise ValueError("must be a whole number of at least 1")
    return value


# an Acknowledge link outliving a week would be a standing credential in a chat channel
MAX_ACK_TTL_SECONDS = 7 * 86400


def ack_ttl(text: str) -> int:
    value = positive_int(text)
    if value > MAX_ACK_TTL_SECONDS:
        raise ValueError(f"must be at most {MAX_ACK_TTL_SECONDS} (7 days)")
    return value


def positive_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError("must be a number") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError("must be a number greater than 0")
    return value


def percent(text: str) -> float:
    value = positive_number(text)
    if value > 100:
        raise ValueError("must be a percentage greater than 0 and at most 100")
    return value


def slo_target(text: str) -> float:
    value = positive_number(text)
    if value >= 100:
        raise ValueError(
            "must be a percentage greater than 0 and less than 100 (100 leaves no error budget)"
        )
    return value


def slo_window(text: str) -> str:
    if durations.seconds(text) < durations.seconds(slo.LONGEST):
        raise ValueError(
            f"must be at least {slo.LONGEST}, the slow burn-rate alert's longest window"
        )
    return text


def host(text: str) -> str:
    if not _HOST.fullmatch(text):
        raise ValueError("must be a host name or IPv4 address")
    return text


def _matches(entry: re.Pattern[str], text: str) -> bool:
    """`text` fully matches `entry`, whose last group is an optional port number."""
    match = entry.fullmatch(text)
    number = match and match.groups()[-1]
    return bool(match) and (number is None or 1 <= int(number) <= 65535)


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


def targets(text: str) -> tuple[str, ...]:
    expected = "host:port, with a port between 1 and 65535"
    return _list(text, _TARGET, expected, key=str.lower)


def optional_targets(text: str) -> tuple[str, ...]:
    """`targets`, or none when empty."""
    return targets(text) if text.strip() else ()


_REPLICA = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")


def replica_names(text: str) -> tuple[str, ...]:
    """Names of a Prometheus pair (`a,b`): lower-case letters, digits and inner dashes
    (each names a file, prometheus-<name>.yml), each once; none when empty (one Prometheus)."""
    if not text.strip():
        return ()
    names = [part.strip() for part in text.split(",")]
    bad = [name for name in names if not _REPLICA.fullmatch(name)]
    if bad:
        raise ValueError(
            f"bad names {', '.join(map(repr, bad))} (lower-case letters, digits and dashes)"
        )
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ValueError(f"listed more than once: {', '.join(twice)}")
    return tuple(names)


def sentinel_master(text: str) -> str:
    if not _SENTINEL_MASTER.fullmatch(text):
        raise ValueError("must be a Sentinel master name (letters, digits, '.', '_' or '-')")
    return text


def bridge_target(url: str) -> str:
    scheme, name, number = _BRIDGE_URL.fullmatch(url).groups()
    return f"{name.lower()}:{number or _DEFAULT_PORTS[scheme]}"


def url_scheme(url: str) -> str:
    return urlsplit(url).scheme


def base_urls(text: str) -> tuple[str, ...]:
    """http(s) base URLs with no path, one scheme for all (one scrape job, one scheme)."""
    expected = "an http or https URL with no path, such as http://10.0.0.5:8001"
    urls = tuple(url.rstrip("/") for url in _list(text, _BRIDGE_URL, expected, bridge_target))
    if len({url.split("://")[0] for url in urls}) > 1:
        raise ValueError("all entries must use the same scheme, http or https")
    return urls


def _url(text: str, schemes: tuple[str, ...]) -> str:
    parts = urlsplit(text)
    if parts.scheme not in schemes or not parts.netloc or re.search(r"[\s\"'<>]", text):
        raise ValueError(f"must be a {' or '.join(schemes)} URL")
    return text.rstrip("/")


def http_url(text: str) -> str:
    return _url(text, ("http", "https"))


def http_urls(text: str) -> tuple[str, ...]:
    """Comma-separated http(s) URLs (a path allowed: a store may serve the API below one);
    every bad entry and every duplicate named at once."""
    urls, problems = [], []
    for entry in (part.strip() for part in text.split(",")):
        try:
            urls.append(http_url(entry))
        except ValueError:
            problems.append(f"bad entry {entry!r} (each must be an http or https URL)")
    twice = sorted({url for url in urls if urls.count(url) > 1})
    if twice:
        problems.append(f"listed more than once: {', '.join(twice)}")
    if problems:
        raise ValueError("; ".join(problems))
    return tuple(urls)


def optional_http_url(text: str) -> str:
    return text and http_url(text)


def boolean(text: str) -> bool:
    if text.lower() not in ("true", "false"):
        raise ValueError("must be true or false")
    return text.lower() == "true"


def redis_url(text: str) -> str:
    return _url(text, ("redis", "rediss"))


def profile(text: str) -> Profile:
    if text not in PROFILES:
        raise ValueError(f"must be one of {', '.join(PROFILES)}")
    return PROFILES[text]


def duration(*, allow_zero: bool) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if durations.seconds(text) == 0 and not allow_zero:
            raise ValueError("must be longer than 0")
        return text

    return parse


def text_of(value) -> str:
    """A parsed value as its process reads it back: lists comma-joined, 5.0 → "5"."""
    if isinstance(value, tuple):
        return ",".join(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value).removesuffix(".0")
    return str(value)
