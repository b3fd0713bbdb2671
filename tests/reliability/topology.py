"""Extra processes around a `Stack` for fault and HA tests: a second bridge, delivery
worker or API, clustered Alertmanagers, and restarting a Procfile service after a kill.

Every extra process is one of the Procfile's own lines (or Alertmanager with the rendered
config), started through `Stack.start_process`, so `Stack.stop()` stops it too. Prometheus
and Alertmanager learn about the extra instances from the stack's settings (API_TARGETS,
BRIDGE_URLS, ...: docs/ha.md), so an extra bridge or API gets a port chosen beforehand.
"""

from __future__ import annotations

import shlex
import signal
from pathlib import Path

import redis
import requests

from stack.procfile import read_procfile, with_env
from stack.settings import REPO
from testkit.exposition import samples
from testkit.ports import free_port
from testkit.stack import Stack

COMMANDS = read_procfile(REPO / "Procfile")


def answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


def redis_answers(stack: Stack) -> bool:
    try:
        return stack.redis().ping()
    except redis.RedisError:
        return False


def _ready(stack: Stack, name: str):
    """The readiness check of a Procfile service of `stack` (its default ports)."""
    return {
        "redis": lambda: redis_answers(stack),
        "api": lambda: answers(f"{stack.api_url}/health"),
        "bridge": lambda: answers(f"{stack.bridge_url}/health"),
        "outbox": lambda: answers(f"http://127.0.0.1:{stack.ports['OUTBOX_METRICS_PORT']}/"),
        "alertmanager": lambda: answers(f"{stack.alertmanager_url}/-/ready"),
        "prometheus": lambda: answers(f"{stack.prometheus_url}/-/ready"),
    }[name]


def start_service(stack: Stack, name: str) -> None:
    """Start a Procfile service of `stack` (again, after it was killed or stopped)."""
    old = stack.processes.get(name)
    if old is not None:
        old.stop()  # already dead: this only closes its log
    stack.start_process(name, COMMANDS[name], _ready(stack, name))


def kill(stack: Stack, name: str, sig: int = signal.SIGKILL) -> None:
    """Signal a service's whole process group (gunicorn's workers too) and wait for it."""
    process = stack.processes[name]
    process.signal(sig)
    process.proc.wait(30)


def add_bridge(stack: Stack, name: str, port: int) -> str:
    """A second bridge (own port and metrics dir, same Redis); returns its base URL."""
    command = with_env(
        COMMANDS["bridge"],
        BRIDGE_PORT=str(port),
        METRICS_DIR=str(stack.tmp / name / "multiproc"),
    )
    url = f"http://127.0.0.1:{port}"
    stack.start_process(name, command, lambda: answers(f"{url}/health"))
    return url


def add_worker(stack: Stack, name: str) -> str:
    """A second delivery worker (own metrics port, same Redis); returns its metrics URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/metrics"
    stack.start_process(
        name, with_env(COMMANDS["outbox"], OUTBOX_METRICS_PORT=str(port)), lambda: answers(url)
    )
    return url


def add_api(stack: Stack, name: str, port: int) -> str:
    """A second API (own port and metrics dir, same database and Redis); returns its URL."""
    command = with_env(
        COMMANDS["api"], API_PORT=str(port), METRICS_DIR=str(stack.tmp / name / "multiproc")
    )
    url = f"http://127.0.0.1:{port}"
    stack.start_process(name, command, lambda: answers(f"{url}/health"))
    return url


def add_alertmanager(stack: Stack, name: str, *, cluster_port: int, peer_ports: list[int]) -> str:
    """An Alertmanager in a gossip cluster on loopback; returns its URL.

    It runs on the rendered alertmanager.yml as is (every bridge in BRIDGE_URLS), with the
    clustering flags an HA deployment adds (docs/ha.md). `--cluster.peer-timeout=0s` lets
    every peer notify at once instead of waiting 15 s for the first one's notification log:
    the worst case of an HA pair.
    """
    port = free_port()
    argv = [
        stack.env["ALERTMANAGER_BIN"],
        f"--config.file={Path(stack.env['CONFIG_DIR']) / 'alertmanager.yml'}",
        f"--storage.path={stack.tmp / name}",
        f"--web.listen-address=127.0.0.1:{port}",
        f"--cluster.listen-address=127.0.0.1:{cluster_port}",
        *(f"--cluster.peer=127.0.0.1:{peer}" for peer in peer_ports),
        "--cluster.peer-timeout=0s",
    ]
    url = f"http://127.0.0.1:{port}"
    stack.start_process(name, shlex.join(argv), lambda: answers(f"{url}/-/ready"))
    return url


def metric(url: str, name: str, **labels: str) -> float:
    """Sum of the samples called `name` with these labels on a /metrics page (0 if none)."""
    return sum(
        value
        for (sample, sample_labels), value in samples(requests.get(url, timeout=5).text).items()
        if sample == name and labels.items() <= dict(sample_labels).items()
    )
