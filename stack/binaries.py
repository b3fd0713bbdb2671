"""Where the stack's external binaries are, under their Debian names or upstream ones."""

import shutil

# binary → (names to look for, in order; the Debian package that provides it)
BINARIES = {
    "redis-server": (("redis-server",), "redis-server"),
    "prometheus": (("prometheus",), "prometheus"),
    "promtool": (("promtool",), "prometheus"),
    # Debian renames the upstream `alertmanager` binary
    "alertmanager": (("prometheus-alertmanager", "alertmanager"), "prometheus-alertmanager"),
    "amtool": (("amtool",), "prometheus-alertmanager"),
}
# Needed only by some targets: make test (browser test, compose validation, load tests)
# and make bench.
OPTIONAL = {
    "chromium": (("chromium",), "chromium"),
    "wrk": (("wrk",), "wrk"),
    "docker-compose": (("docker-compose",), "docker-compose"),
    # a long-term store Prometheus remote-writes to (tests/stack/test_remote_write.py)
    "victoria-metrics": (("victoria-metrics", "victoria-metrics-prod"), "victoria-metrics"),
}
KNOWN = {**BINARIES, **OPTIONAL}


class MissingBinary(LookupError):
    def __init__(self, name: str) -> None:
        self.name = name
        self.package = KNOWN[name][1]
        super().__init__(
            f"{name} not found on PATH; install it with: apt-get install -y {self.package}"
        )


def find(name: str) -> str | None:
    """Absolute path of `name` (a key of KNOWN), or None when it is not installed."""
    candidates, _package = KNOWN[name]
    return next(filter(None, map(shutil.which, candidates)), None)


def require(name: str) -> str:
    """Like find(), but MissingBinary (saying how to install it) instead of None."""
    path = find(name)
    if path is None:
        raise MissingBinary(name)
    return path


def missing(extra: tuple[str, ...] = ()) -> list[MissingBinary]:
    """Every binary the stack (and `extra` of OPTIONAL) needs that is not installed."""
    return [MissingBinary(name) for name in (*BINARIES, *extra) if find(name) is None]
