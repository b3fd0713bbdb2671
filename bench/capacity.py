"""What one worker of each of our processes carries, for sizing a fleet (docs/ha.md).

    python -m bench.capacity [--quick]

One API gunicorn worker (metrics on, as deployed; SQLite): the task list (GET, page of 20)
and task create (POST), wrk -t1 -c4. One bridge gunicorn worker: webhooks of one new alert
each (bench/ingest.lua), wrk -t1 -c4. One delivery worker (`python -m bridge.delivery`)
draining an outbox the bridge filled, against FakeSlack (which answers at once, so this is
our own cost per message, not Slack's): messages per second from its first message to its
last. No target: these are sizing figures, measured on whatever else the machine runs.
"""

from __future__ import annotations

import os
import secrets
import sys
import time
from pathlib import Path

from alertstore import layout
from bench import BRIDGE_DIR, REPO, cli, servers, wrk
from bench.report import Result, spread
from bench.workspace import workspace
from testkit.ports import free_port
from testkit.processes import ServerProcess
from testkit.slack import FakeSlack

INGEST = Path(__file__).with_name("ingest.lua")
CREATE = Path(__file__).with_name("create_task.lua")
LOAD = {"connections": 4, "threads": 1}


def _rates(url: str, rounds: int, seconds: float, **options) -> tuple[list[float], list[float]]:
    wrk.run(url, seconds=1, **LOAD, **options)  # warm-up
    reports = [wrk.run(url, seconds=seconds, **LOAD, **options) for _ in range(rounds)]
    return [r.requests_per_second for r in reports], [r.latency_ms[99] for r in reports]


def _load() -> str:
    """The machine's 1-minute load average: these figures are only as good as it is idle."""
    return f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def _row(what: str, unit: str, rates: list[float], p99: list[float]) -> Result:
    figure = f"{spread(rates, '{:.0f}')} {unit}; p99 {spread(p99, '{:.1f}')} ms; {_load()}"
    return Result(what, figure)


def api(tmp, redis, stack, rounds: int, seconds: float) -> list[Result]:
    database, token = servers.seed_database(tmp, redis.url)
    server = servers.api_server(tmp, "one", database=database, redis_url=redis.url, workers=1)
    stack.enter_context(server.process)
    headers = {"Authorization": f"Token {token}"}
    cli.log("capacity: API, 1 worker: task list")
    listed = _rates(f"{server.url}/api/v1/tasks/", rounds, seconds, headers=headers)
    cli.log("capacity: API, 1 worker: task create")
    created = _rates(server.url, rounds, seconds, script=CREATE, script_args=(token,))
    return [
        _row(
            "capacity: API, 1 gunicorn worker, task list (page of 20), wrk -t1 -c4",
            "req/s",
            *listed,
        ),
        _row("capacity: API, 1 gunicorn worker, task create, wrk -t1 -c4", "req/s", *created),
    ]


def bridge_and_worker(tmp, redis, stack, rounds: int, seconds: float) -> list[Result]:
    token = secrets.token_urlsafe(24)
    server = servers.bridge_server(tmp, redis_url=redis.url, token=token, workers=1)
    stack.enter_context(server.process)
    cli.log("capacity: bridge, 1 worker: webhooks")
    url = f"{server.url}/webhook"
    ingested = _rates(url, rounds, seconds, script=INGEST, script_args=("capacity", token))
    owed = redis.client().llen(layout.OUTBOX_PENDING_KEY)
    cli.log(f"capacity: delivery worker: draining {owed} messages into FakeSlack")
    with FakeSlack() as slack:
        worker = _worker(tmp, redis.url, slack.url, token)
        stack.enter_context(worker)
        slack.wait_for(owed, timeout=max(120, owed / 20))
        arrivals = [a.at for a in slack.attempts]
    delivered = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])
    return [
        _row(
            "capacity: bridge, 1 gunicorn worker, webhook of 1 new alert, wrk -t1 -c4",
            "webhooks/s",
            *ingested,
        ),
        Result(
            "capacity: delivery worker (1 process), outbox → FakeSlack",
            f"{delivered:.0f} messages/s over {len(arrivals)} messages; {_load()}",
        ),
    ]


def _worker(tmp: Path, redis_url: str, slack_url: str, token: str) -> ServerProcess:
    port = free_port()
    env = {
        **servers.base_env(),
        **servers.stack_env("worker", token),
        "PYTHONPATH": str(REPO),
        "REDIS_URL": redis_url,
        "SLACK_WEBHOOK_URL": slack_url,
        "OUTBOX_METRICS_PORT": str(port),
    }
    return ServerProcess(
        "worker", [sys.executable, "-m", "bridge.delivery"], log_dir=tmp, env=env,
        cwd=BRIDGE_DIR, ready_url=f"http://127.0.0.1:{port}/metrics",
    )  # fmt: skip


def run(args) -> list[Result]:
    rounds, seconds = (1, 1) if args.quick else (3, 10)
    started = time.monotonic()
    with workspace("capacity-api") as (tmp, redis, stack):
        results = api(tmp, redis, stack, rounds, seconds)
    with workspace("capacity-bridge") as (tmp, redis, stack):
        results += bridge_and_worker(tmp, redis, stack, rounds, seconds)
    cli.log(f"capacity: done in {time.monotonic() - started:.0f} s")
    return results


if __name__ == "__main__":
    sys.exit(cli.main("capacity", run, __doc__.split("\n")[0]))
