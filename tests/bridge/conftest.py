"""Bridge fixtures: the app built the way production builds it, over a real Redis, and
real delivery-worker processes against the Slack stand-in."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest

from bridge import create_app
from bridge.config import BridgeConfig
from stack.envfiles import shared_env
from stack.settings import load
from testkit.ports import free_port
from testkit.processes import ServerProcess

TOKEN = "test-token-0123456789abcdef"
ACK_KEY = "test-ack-signing-key-0123456789abcdef"
REPO = Path(__file__).resolve().parents[2]
BRIDGE_DIR = REPO / "alert-bridge"


def stack_bridge_env() -> dict[str, str]:
    """What the stack's bridge.env holds with every default (and the test token)."""
    return shared_env(
        load({"ALERT_BRIDGE_TOKEN": TOKEN, "ACK_SIGNING_KEY": ACK_KEY}, dotenv=None), "bridge"
    )


def bridge_config(**fields) -> BridgeConfig:
    """A BridgeConfig from the stack's defaults, with `fields` replaced (validated again)."""
    return replace(BridgeConfig.from_env(stack_bridge_env()), **fields)


def no_prometheus() -> str:
    """A Prometheus URL nothing listens at: the webhook's questions fail at once."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def config(redis_server) -> BridgeConfig:
    return bridge_config(
        redis_url=redis_server.url, cooldown_seconds=300, prometheus_query_urls=(no_prometheus(),)
    )


@pytest.fixture
def app(config):
    return create_app(config)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def store(redis_server):
    client = redis_server.client()
    yield client
    client.close()


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def bridge_env(redis_url: str, **overrides: str) -> dict[str, str]:
    """Environment for a bridge process: the stack's bridge.env values with fast timings,
    repo root importable."""
    return {
        **stack_bridge_env(),
        "REDIS_URL": redis_url,
        "PYTHONPATH": str(REPO),
        "SLACK_WEBHOOK_URL": "",
        "SLACK_TIMEOUT_SECONDS": "1",
        "DELIVERY_LEASE_SECONDS": "2",
        "DELIVERY_MAX_BACKOFF_SECONDS": "1",
        **overrides,
    }


@pytest.fixture
def start_worker(redis_server, tmp_path):
    """Start `python -m bridge.delivery` processes; all are stopped after the test."""
    started: list[ServerProcess] = []

    def start(slack_url: str = "", name: str = "worker", **env: str) -> ServerProcess:
        port = free_port()
        process = ServerProcess(
            f"{name}-{len(started)}",
            [sys.executable, "-m", "bridge.delivery"],
            log_dir=tmp_path,
            cwd=BRIDGE_DIR,
            env=bridge_env(
                redis_server.url, SLACK_WEBHOOK_URL=slack_url, OUTBOX_METRICS_PORT=str(port), **env
            ),
            ready_url=f"http://127.0.0.1:{port}/metrics",
        )
        process.metrics_url = f"http://127.0.0.1:{port}/metrics"
        started.append(process)
        return process.start()

    yield start
    for process in started:
        process.stop()
