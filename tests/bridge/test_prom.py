"""Culprits and values at resolve, asked of a real Prometheus scraping a real API (gunicorn,
rendered fast-profile rules) through the bridge's real webhook over a real Redis; and what
the record and the message say when Prometheus is away or does not answer in time."""

from __future__ import annotations

import json
import shutil
import socket
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from prometheus_client import REGISTRY

from alertstore import reader
from bridge import create_app
from bridge.slack import Links, build_message
from testkit.polling import wait_until
from testkit.ports import free_port
from testkit.processes import ServerProcess
from testkit.traffic import Traffic
from tests.api.metrics.conftest import api_server, observed_api  # noqa: F401 (fixtures)
from tests.bridge.conftest import auth, no_prometheus
from tests.bridge.payloads import alert, resolved, webhook

FAULTY, HEALTHY, ALSO_HEALTHY = "api/v1/redoc/", "api/v1/docs/", "api/v1/schema/"
LINKS = Links("http://prometheus.test", "http://alertmanager.test", "http://grafana.test")


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def query_at(prometheus_url: str, promql: str, at: float) -> float:
    """Prometheus' one value of `promql` at epoch `at`."""
    answer = requests.get(
        f"{prometheus_url}/api/v1/query", params={"query": promql, "time": at}, timeout=10
    )
    (sample,) = answer.json()["data"]["result"]
    return float(sample["value"][1])


def left_out(reason: str) -> float:
    """taskmgr_bridge_alerts_left_out_total{reason} as this process' registry has it."""
    value = REGISTRY.get_sample_value("taskmgr_bridge_alerts_left_out_total", {"reason": reason})
    return value or 0.0


def post(client, *alerts):
    response = client.post("/webhook", data=json.dumps(webhook(*alerts)), headers=auth(),
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 200, response.get_json()
    return response.get_json()["alerts"][0]["id"]


def error_alert(starts_at: datetime, fingerprint: str = "e1") -> dict:
    return alert(fingerprint=fingerprint, starts_at=iso(starts_at), value="40", threshold="5")


@pytest.fixture
def breaking(observed_api):  # noqa: F811 (the fixture imported above)
    """The API with one route answering 503 and two healthy ones, under steady traffic,
    until Prometheus' per-route record shows the faulty route; the Observed."""
    observed = observed_api()
    base = observed.api.url
    senders = [
        Traffic(f"{base}/{HEALTHY}", rate=6).start(),
        Traffic(f"{base}/{ALSO_HEALTHY}", rate=3).start(),
        Traffic(f"{base}/{FAULTY}", rate=4).start(),
    ]
    senders[2].set_headers({"X-Fault-Status": "503"})
    try:
        faulty = f'route:taskmgr_http_errors_per_requests:ratio{{route="{FAULTY}"}} > 0'
        wait_until(
            lambda: (
                len(observed.query("route:taskmgr_http_requests:rate > 0")) >= 3
                and observed.query(faulty)
                and observed.query("taskmgr:http_errors_per_requests:ratio offset 3s > 0")
            ),
            timeout=90,
            what="Prometheus to record the faulty route, the healthy ones and the total",
        )
        yield observed
    finally:
        for sender in senders:
            sender.stop()


def bridge_client(config, *prometheus_urls: str, **fields):
    config = replace(config, prometheus_query_urls=prometheus_urls, **fields)
    return create_app(config).test_client()


def test_a_firing_names_the_faulty_route_first_and_no_healthy_one(breaking, config, store):
    client = bridge_client(config, breaking.prometheus_url)

    alert_id = post(client, error_alert(datetime.now(UTC) - timedelta(seconds=10)))

    record = reader.get_alert(store, alert_id)
    assert [c["route"] for c in record["culprits"]] == [FAULTY]
    assert record["culprits"][0]["value"] == pytest.approx(100.0)
    assert record["culprits_note"] is None
    message = build_message(record, "firing", LINKS)
    blocks = message["attachments"][0]["blocks"]
    assert blocks[1]["text"]["text"] == f"*Where it breaks*\n• `{FAULTY} (100 %)`"
    assert f"where: {FAULTY} (100 %)" in message["text"]
    for healthy in (HEALTHY, ALSO_HEALTHY):
        assert healthy not in json.dumps(message)


@pytest.mark.parametrize("first", ["closed", "silent"])
def test_the_questions_fail_over_to_the_next_prometheus_within_the_budget(
    breaking, config, store, first, silent_prometheus
):
    dead = {"closed": no_prometheus(), "silent": silent_prometheus}[first]
    client = bridge_client(config, dead, breaking.prometheus_url)
    starts_at = datetime.now(UTC) - timedelta(seconds=20)
    firing = error_alert(starts_at, fingerprint=f"f-{first}")

    alert_id = post(client, firing)
    ends_at = datetime.now(UTC) - timedelta(seconds=2)
    post(client, resolved(firing, ends_at=iso(ends_at)))

    record = reader.get_alert(store, alert_id)
    assert [c["route"] for c in record["culprits"]] == [FAULTY]
    assert record["culprits_note"] is None
    value = query_at(
        breaking.prometheus_url, "taskmgr:http_errors_per_requests:ratio * 100", ends_at.timestamp()
    )
    assert record["resolved_value"] == pytest.approx(value, rel=1e-6)
    assert record["peak_value"] >= record["resolved_value"] > 0
    assert record["resolved_note"] is None


def test_when_no_prometheus_answers_the_note_names_each(config, store):
    urls = (no_prometheus(), no_prometheus())
    client = bridge_client(config, *urls)

    alert_id = post(client, error_alert(datetime.now(UTC)))

    record = reader.get_alert(store, alert_id)
    assert record["culprits"] == []
    assert record["culprits_note"] == "; ".join(
        f"Prometheus could not be reached at {url}" for url in urls
    )


def test_a_resolve_keeps_the_value_then_the_peak_and_the_duration_prometheus_reports(
    breaking, config, store
):
    client = bridge_client(config, breaking.prometheus_url)
    starts_at = datetime.now(UTC) - timedelta(seconds=20)
    firing = error_alert(starts_at, fingerprint="e2")
    alert_id = post(client, firing)
    ends_at = datetime.now(UTC) - timedelta(seconds=2)

    post(client, resolved(firing, ends_at=iso(ends_at)))

    record = reader.get_alert(store, alert_id)
    at = ends_at.timestamp()
    window = f"{int((ends_at - starts_at).total_seconds() * 1000) + 1}ms"
    url = breaking.prometheus_url
    value = query_at(url, "taskmgr:http_errors_per_requests:ratio * 100", at)
    peak_promql = f"max_over_time(taskmgr:http_errors_per_requests:ratio[{window}]) * 100"
    peak = query_at(url, peak_promql, at)
    assert record["resolved_value"] == pytest.approx(value, rel=1e-6)
    assert record["peak_value"] == pytest.approx(peak, rel=1e-6)
    assert 0 < record["resolved_value"] <= record["peak_value"]
    duration = (ends_at - starts_at).total_seconds()  # ~18 s
    assert record["duration_seconds"] == pytest.approx(duration, abs=0.01)
    assert record["resolved_note"] is None
    text = build_message(record, "resolved", LINKS)["text"]
    assert text.startswith("[RESOLVED] HighErrorRate — error rate now ")
    assert " % (peak " in text and f" %, threshold 5 %), resolved after {round(duration)}s" in text


@pytest.fixture
def silent_prometheus():
    """A port that accepts connections and never answers: Prometheus hung."""
    with socket.create_server(("127.0.0.1", 0), backlog=16) as listener:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def test_a_prometheus_that_does_not_answer_costs_the_budget_and_the_record_says_why(
    config, store, silent_prometheus
):
    client = bridge_client(config, silent_prometheus, prometheus_query_budget_seconds=0.5)
    starts_at = datetime.now(UTC) - timedelta(seconds=30)
    firing = error_alert(starts_at, fingerprint="e3")

    alert_id = post(client, firing)  # 200: stored, and its message queued
    post(client, resolved(firing, ends_at=iso(datetime.now(UTC))))

    record = reader.get_alert(store, alert_id)
    assert record["culprits"] == []
    assert record["culprits_note"] == "Prometheus did not answer within 0.5 s"
    assert (record["resolved_value"], record["peak_value"]) == (None, None)
    assert record["resolved_note"] == "Prometheus did not answer within 0.5 s"
    firing_text = build_message(record, "firing", LINKS)
    assert "where: unknown (Prometheus did not answer within 0.5 s)" in firing_text["text"]
    assert firing_text["attachments"][0]["blocks"][1]["text"]["text"] == (
        "*Where it breaks*\nunknown: Prometheus did not answer within 0.5 s"
    )
    assert (
        "error rate now unknown (Prometheus did not answer within 0.5 s), resolved after"
        in (build_message(record, "resolved", LINKS)["text"])
    )


def test_a_stopped_prometheus_gives_no_culprits_and_a_note(client, config, store):
    alert_id = post(client, error_alert(datetime.now(UTC)))  # config: nothing listens there

    record = reader.get_alert(store, alert_id)
    assert record["culprits"] == []
    assert record["culprits_note"] == (
        f"Prometheus could not be reached at {config.prometheus_query_urls[0]}"
    )


def test_alerts_without_a_recorded_series_are_not_measured(client, store):
    alert_id = post(client, alert(alertname="ApiDown", alert_type="api_down", fingerprint="d"))

    record = reader.get_alert(store, alert_id)
    assert (record["culprits"], record["culprits_note"]) == ([], None)
    message = build_message(record, "firing", LINKS)
    assert "where:" not in message["text"] and "Where it breaks" not in json.dumps(message)


RULE = (
    "      - alert: {name}\n        expr: vector(1)\n"
    "        labels: {{job: taskmgr-api, severity: error, alert_type: {type}}}\n"
)
STILL_FIRING = "groups:\n  - name: t\n    rules:\n" + RULE.format(
    name="StillFiring", type="still_firing"
)
WAS_FIRING = RULE.format(name="WasFiring", type="was_firing")


@pytest.fixture
def still_firing_prometheus(tmp_path):
    """A real Prometheus whose rules `StillFiring` and `WasFiring` fire from their first
    evaluation on: the replica of a pair that has not resolved yet (`_end` takes WasFiring
    away: an incident it has seen end)."""
    port = free_port()
    (tmp_path / "rules.yml").write_text(STILL_FIRING + WAS_FIRING)
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        f"rule_files: [{tmp_path / 'rules.yml'}]\nscrape_configs: []\n"
    )
    url = f"http://127.0.0.1:{port}"
    argv = [
        shutil.which("prometheus") or "prometheus",
        f"--config.file={config}",
        f"--storage.tsdb.path={tmp_path / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--web.enable-lifecycle",  # POST /-/reload: `_end`
    ]
    with ServerProcess("prometheus", argv, log_dir=tmp_path, ready_url=f"{url}/-/ready"):
        wait_until(
            lambda: requests.get(
                f"{url}/api/v1/query",
                params={"query": 'ALERTS{alertname="StillFiring",alertstate="firing"}'},
                timeout=5,
            ).json()["data"]["result"],
            "the rule firing",
        )
        yield url


def test_a_resolve_is_held_while_a_prometheus_still_fires_the_alert(
    config, store, still_firing_prometheus
):
    # a dead URL first: it decides nothing, the live one still answers
    client = bridge_client(config, no_prometheus(), still_firing_prometheus)
    firing = alert(alertname="StillFiring", alert_type="still_firing", fingerprint="s1")
    alert_id = post(client, firing)
    held_before = left_out("resolve_still_firing")

    response = client.post("/webhook", json=webhook(resolved(firing)), headers=auth())

    assert response.status_code == 200, response.get_json()  # Alertmanager is not retried
    assert response.get_json()["alerts"] == []  # held: nothing stored for it
    assert left_out("resolve_still_firing") == held_before + 1
    record = reader.get_alert(store, alert_id)
    assert record["status"] == "firing"
    assert [n["kind"] for n in record["notifications"]] == ["firing"]


def test_a_resolve_carrying_the_other_replicas_starts_at_is_held_too(
    config, store, still_firing_prometheus
):
    # a pair: the record holds replica a's startsAt, Alertmanager resolves with replica b's
    client = bridge_client(config, still_firing_prometheus, starts_at_tolerance_seconds=4)
    first = datetime(2025, 10, 15, 12, 0, tzinfo=UTC)
    firing = alert(alertname="StillFiring", alert_type="still_firing", fingerprint="s3",
                   starts_at=iso(first))  # fmt: skip
    alert_id = post(client, firing)
    other_replica = {**firing, "startsAt": iso(first + timedelta(seconds=2))}

    response = client.post("/webhook", json=webhook(resolved(other_replica)), headers=auth())

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["alerts"] == []
    record = reader.get_alert(store, alert_id)
    assert record["status"] == "firing"
    assert [n["kind"] for n in record["notifications"]] == ["firing"]


def test_a_resolve_is_stored_when_no_prometheus_fires_that_instance(
    config, store, still_firing_prometheus
):
    client = bridge_client(config, still_firing_prometheus)
    # the same alert, but another label set than the one that fires
    firing = alert(alertname="StillFiring", alert_type="other", fingerprint="s2")
    alert_id = post(client, firing)

    post(client, resolved(firing))

    record = reader.get_alert(store, alert_id)
    assert record["status"] == "resolved"
    assert [n["kind"] for n in record["notifications"]] == ["firing", "resolved"]


def _kinds(store, alert_id):
    return [n["kind"] for n in reader.get_alert(store, alert_id)["notifications"]]


def _end(prometheus_url: str, rules: Path) -> None:
    """WasFiring fired and then stopped (its rule reloaded away): Prometheus saw it end."""

    def firing(promql):
        params = {"query": promql}
        answer = requests.get(f"{prometheus_url}/api/v1/query", params=params, timeout=5)
        return answer.json()["data"]["result"]

    alerts = 'ALERTS{alertname="WasFiring",alertstate="firing"}'
    wait_until(lambda: firing(alerts), "WasFiring to fire")
    rules.write_text(STILL_FIRING)
    requests.post(f"{prometheus_url}/-/reload", timeout=10).raise_for_status()
    wait_until(lambda: not firing(alerts) and firing(f"max_over_time({alerts}[1m])"),
               "WasFiring to end")  # fmt: skip


def test_an_old_firing_after_the_resolve_is_dropped_when_prometheus_saw_it_end(
    config, store, still_firing_prometheus, tmp_path
):
    # a clustered peer's FIRING, computed before the incident ended, after the RESOLVED
    _end(still_firing_prometheus, tmp_path / "rules.yml")
    client = bridge_client(config, no_prometheus(), still_firing_prometheus)
    firing = alert(alertname="WasFiring", alert_type="was_firing", fingerprint="s4",
                   starts_at=iso(datetime.now(UTC) - timedelta(minutes=1)))  # fmt: skip
    alert_id = post(client, firing)
    post(client, resolved(firing))
    dropped_before = left_out("firing_already_over")

    response = client.post("/webhook", json=webhook(firing), headers=auth())

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["alerts"] == []
    assert left_out("firing_already_over") == dropped_before + 1
    assert reader.get_alert(store, alert_id)["status"] == "resolved"
    assert _kinds(store, alert_id) == ["firing", "resolved"]


def test_a_firing_after_the_resolve_reopens_while_a_prometheus_still_fires_it(
    config, store, still_firing_prometheus
):
    # Alertmanager had timed the alert out (it lost Prometheus), which still fires it
    firing = alert(alertname="StillFiring", alert_type="still_firing", fingerprint="s5")
    lost = bridge_client(config, no_prometheus())
    alert_id = post(lost, firing)
    post(lost, resolved(firing))

    post(bridge_client(config, still_firing_prometheus), firing)

    assert reader.get_alert(store, alert_id)["status"] == "firing"
    assert _kinds(store, alert_id) == ["firing", "resolved", "firing"]


@pytest.mark.parametrize(
    "prometheus",
    [
        "still_firing_prometheus",  # another source's alert: this one never fired it
        "no_prometheus",  # none answers: it decides nothing, never a lost page
    ],
)
def test_a_firing_after_the_resolve_reopens_when_prometheus_cannot_say_it_is_over(
    config, store, request, prometheus
):
    url = no_prometheus() if prometheus == "no_prometheus" else request.getfixturevalue(prometheus)
    client = bridge_client(config, url)
    firing = alert(alertname="StillFiring", alert_type="elsewhere", fingerprint="s7")
    alert_id = post(client, firing)
    post(client, resolved(firing))

    post(client, firing)

    assert _kinds(store, alert_id) == ["firing", "resolved", "firing"]
