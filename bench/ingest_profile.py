"""Where bench/ingest.py's gap is, per webhook, without gunicorn or wrk in the way.

    python -m bench.ingest_profile [--rounds 9] [--webhooks 400] [--cprofile ours|reference]
                                   [--no-script]

Both apps in this one process (the bridge's web app as its gunicorn workers build it,
multiprocess metrics included, and bench/reference_webhook.py), each on a private Redis of
its own, driven by Flask's test client with bench/ingest.lua's webhook (one new alert each),
in interleaved rounds. Per webhook: wall time, this process' CPU, redis-server's CPU (from
/proc) and the time of its script in it (INFO commandstats, EVALSHA: the script with every
command it calls). Prints
medians (min..max) over the rounds; writes no results row (bench/ingest.py's rows are the
figures that count). `--cprofile` profiles one app instead; `--no-script` answers each
app's script call with a canned reply, leaving the Python side alone.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

# prometheus_client picks multiprocess mode when first imported (bench.servers imports it),
# as the bridge's gunicorn workers have it: the folder comes first
os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="bench-ingest-profile-")

from bench import servers
from bench.ingest import cpu_seconds
from bench.rounds import rotations
from testkit.redis_server import RedisServer

NAMES = ("ours", "reference")
LUA = Path(__file__).with_name("ingest.lua").read_text()
TEMPLATE = LUA.split("[[", 1)[1].split("]]", 1)[0]  # the webhook body, %s = fingerprint


def script_usec(redis: RedisServer) -> int:
    return redis.client().info("commandstats").get("cmdstat_evalsha", {}).get("usec", 0)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest_profile")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--webhooks", type=int, default=400, help="per app and round")
    parser.add_argument("--cprofile", choices=NAMES)
    parser.add_argument("--no-script", action="store_true", help="no Redis script calls")
    args = parser.parse_args()
    token = secrets.token_urlsafe(24)
    stores = {name: RedisServer().start() for name in NAMES}
    try:
        folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
        os.environ.update(servers.stack_env("bridge", token))
        os.environ.update(REDIS_URL=stores["ours"].url, PROMETHEUS_MULTIPROC_DIR=folder)
        os.environ.pop("SLACK_WEBHOOK_URL", None)
        import procmetrics

        assert procmetrics.multiprocess_mode(), "the bridge's workers count in mmap files"
        import bridge
        from bench import reference_webhook

        clients = {"ours": bridge.create_app().test_client()}
        os.environ["REDIS_URL"] = stores["reference"].url
        clients["reference"] = reference_webhook.create_app().test_client()
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        sent = 0

        def block(name: str, count: int) -> tuple[float, ...]:
            nonlocal sent
            bodies = [TEMPLATE.replace("%s", f"fp-{sent + i}", 2) for i in range(count)]
            sent += count
            redis = stores[name]
            usec, redis_cpu = script_usec(redis), cpu_seconds(redis.process.proc.pid)
            wall, cpu = time.perf_counter(), time.process_time()
            for body in bodies:
                answer = clients[name].post("/webhook", data=body, headers=headers)
                assert answer.status_code == 200, answer.data
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            redis_cpu = cpu_seconds(redis.process.proc.pid) - redis_cpu
            usec = script_usec(redis) - usec
            return (*(1e6 * x / count for x in (wall, cpu, redis_cpu)), usec / count)

        for name in NAMES:  # warm-up: imports, the script cache, connections
            block(name, 200)
        if args.no_script:
            from redis.commands.core import Script

            from alertstore import writer

            writer._APPLY = lambda keys, args, client: [args[10], "created", "firing", ""]
            Script.__call__ = lambda self, keys, args, client=None: len(keys) - 1
        if args.cprofile:
            import cProfile
            import pstats

            with cProfile.Profile() as profile:
                block(args.cprofile, 5 * args.webhooks)
            pstats.Stats(profile).sort_stats("tottime").print_stats(40)
            return 0
        figures = {name: [] for name in NAMES}
        for _, order in rotations(NAMES, args.rounds):
            for name in order:
                figures[name].append(block(name, args.webhooks))
        for name, rows in figures.items():
            parts = []
            columns = zip(*rows, strict=True)
            what_s = ("wall", "app CPU", "redis-server CPU", "its script")
            for what, values in zip(what_s, columns, strict=True):
                parts.append(
                    f"{what} {statistics.median(values):.0f} ({min(values):.0f}..{max(values):.0f})"
                )
            print(f"{name}: µs per webhook: {', '.join(parts)}")
    finally:
        for redis in stores.values():
            redis.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
