"""PROMETHEUS_REMOTE_WRITE_URL: the rendered remote_write, and a real VictoriaMetrics single
node fed by a Prometheus pair (each with its `replica` external label) giving the same
summary as the pair's Prometheus servers at one pinned time."""

from __future__ import annotations

import json
import math
import subprocess
import time
from pathlib import Path

import pytest
import requests
import yaml

from metrics import summary
from stack import binaries
from stack.render import render
from stack.settings import Settings, load
from testkit.polling import wait_until
from testkit.ports import free_port
from testkit.processes import ServerProcess
from testkit.traffic import Traffic
from tests.api.metrics.conftest import api_server  # noqa: F401 (fixture)


def rendered_prometheus(settings: Settings, out: Path) -> dict:
    return yaml.safe_load((render(settings, out) / "prometheus.yml").read_text())


def test_no_remote_write_unless_its_url_is_set(make_settings, tmp_path):
    assert "remote_write" not in rendered_prometheus(make_settings(), tmp_path / "plain")

    url = "http://vm.example:8428/api/v1/write"
    out = tmp_path / "remote"
    config = rendered_prometheus(make_settings(PROMETHEUS_REMOTE_WRITE_URL=url), out)

    assert config["remote_write"] == [{"url": url}]
    check = subprocess.run(
        [binaries.require("promtool"), "check", "config", str(out / "prometheus.yml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_bad_remote_write_url_is_named(make_settings):
    with pytest.raises(ValueError, match="PROMETHEUS_REMOTE_WRITE_URL='vm:8428'"):
        make_settings(PROMETHEUS_REMOTE_WRITE_URL="vm:8428")


# --- a Prometheus pair remote-writing to a real VictoriaMetrics --------------------------

CLIENT_ROUTE = "/api/v1/docs/"
REPLICAS = ("a", "b")


@pytest.fixture
def servers():
    """Start ServerProcesses through this list; every one is stopped at teardown."""
    started: list[ServerProcess] = []

    def start(process: ServerProcess) -> ServerProcess:
        started.append(process)
        return process.start()

    yield start
    for process in reversed(started):
        process.stop()


def start_victoria_metrics(servers, tmp_path: Path) -> str:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [
        binaries.require("victoria-metrics"),
        f"-httpListenAddr=127.0.0.1:{port}",
        f"-storageDataPath={tmp_path / 'vm'}",
        "-retentionPeriod=1d",
        # answer for any past time at once (the default hides the last 30 s), uncached
        "-search.latencyOffset=0s",
        "-search.disableCache",
    ]
    servers(ServerProcess("victoria-metrics", argv, log_dir=tmp_path, ready_url=f"{url}/health"))
    return url


def start_replica(servers, tmp_path: Path, replica: str, env: dict[str, str]) -> str:
    """One Prometheus of the pair: the rendered fast-profile config plus its external
    `replica` label, remote-writing to PROMETHEUS_REMOTE_WRITE_URL."""
    port = free_port()
    settings = load(
        {},
        dotenv=None,
        overrides={**env, "PROMETHEUS_PORT": str(port), "STATE_DIR": str(tmp_path / replica)},
    )
    out = render(settings, tmp_path / f"config-{replica}")
    config = yaml.safe_load((out / "prometheus.yml").read_text())
    config["global"]["external_labels"] = {
        **config["global"].get("external_labels", {}),
        "replica": replica,
    }
    (out / "prometheus.yml").write_text(yaml.safe_dump(config))
    url = f"http://127.0.0.1:{port}"
    argv = [
        binaries.require("prometheus"),
        f"--config.file={out / 'prometheus.yml'}",
        f"--storage.tsdb.path={tmp_path / f'tsdb-{replica}'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    servers(
        ServerProcess(
            f"prometheus-{replica}", argv, log_dir=tmp_path, ready_url=f"{url}/-/ready", timeout=60
        )
    )
    return url


def pinned(replicas: list[str]) -> tuple[float, list[list[dict]]] | None:
    """A time both replicas have evaluated every record up to, with each replica's answer
    then, once every record has a finite value on both (errors counted, both budgets
    measured); None before."""
    at = time.time() - 1
    answers = [summary.query_prometheus([url], at) for url in replicas]
    names = [{series["metric"]["__name__"] for series in answer} for answer in answers]
    finite = all(
        math.isfinite(float(series["value"][1])) for answer in answers for series in answer
    )
    complete = all(set(summary.RECORDS) <= found for found in names)
    return (at, answers) if finite and complete else None


def key(series: dict) -> tuple[str, str | None]:
    return series["metric"]["__name__"], series["metric"].get("le")


def higher_replica(*results: list[dict]) -> list[dict]:
    """Per record (and bucket), the sample of the replica whose value is higher."""
    best: dict[tuple, dict] = {}
    for result in results:
        for series in result:
            kept = best.get(key(series))
            if kept is None or float(series["value"][1]) > float(kept["value"][1]):
                best[key(series)] = series
    return list(best.values())


def stored_after(vm_url: str, at: float) -> dict[tuple, float]:
    """(record, le, replica) → the newest sample's time VictoriaMetrics holds."""
    answer = requests.get(
        f"{vm_url}/api/v1/export",
        params={"match[]": '{__name__=~"%s"}' % "|".join(summary.RECORDS)},  # noqa: UP031
        timeout=10,
    )
    answer.raise_for_status()
    newest = {}
    for line in filter(None, answer.text.splitlines()):
        series = json.loads(line)
        metric = series["metric"]
        newest[(*key(series), metric.get("replica"))] = max(series["timestamps"]) / 1000
    return newest


def test_victoria_metrics_gives_the_pairs_summary_at_a_pinned_time(
    api_server,  # noqa: F811 (the fixture imported above)
    servers,
    tmp_path,
):
    vm_url = start_victoria_metrics(servers, tmp_path)
    api_port = free_port()
    env = {
        "TIMING_PROFILE": "fast",
        "ALERT_BRIDGE_TOKEN": "t" * 32,
        "ACK_SIGNING_KEY": "k" * 32,
        "API_PORT": str(api_port),
        "PROMETHEUS_REMOTE_WRITE_URL": f"{vm_url}/api/v1/write",
    }
    # the API reads its own summary from VictoriaMetrics
    api = api_server(
        workers=2,
        port=api_port,
        env={"PROMETHEUS_URLS": vm_url, "FAULT_INJECTION_ENABLED": "true"},
    )
    replicas = [start_replica(servers, tmp_path, name, env) for name in REPLICAS]
    senders = [Traffic(f"{api.url}{CLIENT_ROUTE}", rate=6).start()]
    senders.append(Traffic(f"{api.url}{CLIENT_ROUTE}", rate=2).start())
    senders[1].set_headers({"X-Fault-Status": "503"})
    try:
        at, answers = wait_until(
            lambda: pinned(replicas), "every record finite on both replicas", timeout=120
        )
        truth = higher_replica(*answers)
        wanted = {(*key(series), replica) for series in truth for replica in REPLICAS}
        # every series of both replicas arrived, with samples newer than `at`
        wait_until(
            lambda: all(stored_after(vm_url, at).get(series, 0) > at + 1 for series in wanted),
            "VictoriaMetrics to hold every record of both replicas past the pinned time",
            timeout=60,
        )
        from_vm = summary.query_prometheus([vm_url], at)
        from_api = requests.get(f"{api.url}/api/v1/metrics/summary/", timeout=10)
    finally:
        for sender in senders:
            sender.stop()

    slos = summary.objectives()
    expected = summary.build_summary(truth, "w", slos)
    assert expected["total_errors"] > 0 and expected["latency"]["p95"] is not None, expected
    # one value per record though VictoriaMetrics holds each twice, once per replica
    assert sorted(map(key, from_vm)) == sorted(map(key, truth))
    assert summary.build_summary(from_vm, "w", slos) == expected
    assert from_api.status_code == 200, from_api.text
    assert from_api.json()["total_requests"] > 0
