"""Every variable the stack's processes read: name, default, validation, who receives it.

This table is the one definition. `stack.settings.load()` reads and validates it,
`stack.envfiles` writes each process the variables addressed to it (`<process>.env` beside
prometheus.yml), and `.env.example` / the README list the same names.

* A *shared* variable has a default and a parser here; the services parse what they receive
  strictly but hold no default of their own for it.
* A *service-owned* variable (`default=OWNED`) is one only its service reads (Django's
  DEBUG, the throttle rates): the service owns its default and validation; the stack passes
  it on, as given, when it is set.
* `to` names the processes whose environment file carries it; a variable with no `to` is
  used only to render the Prometheus/Alertmanager files (`renders`) or to derive others.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from stack import durations, slo
from stack.settings import parsers as p

API, BRIDGE, WORKER = "api", "bridge", "worker"
PROMETHEUS, ALERTMANAGER, REDIS, GRAFANA = "prometheus", "alertmanager", "redis", "grafana"
PROCESSES = (API, BRIDGE, WORKER, PROMETHEUS, ALERTMANAGER, REDIS, GRAFANA)
# The webhook app and the delivery worker share one BridgeConfig, so both get all of it.
BRIDGE_SIDE = (BRIDGE, WORKER)
OWNED = object()

Default = str | Callable[[dict[str, Any]], str | None] | object


@dataclass(frozen=True)
class Variable:
    name: str
    default: Default  # text, a function of the values read before it, or OWNED
    parse: Callable[[str], Any] | None = None
    to: tuple[str, ...] = ()
    field: str = ""  # Settings attribute (default: the name in lower case)
    derived: bool = False  # computed only: setting it is an error (it must match the rules)
    secret: bool = False  # never echoed in a message
    # the list variable (defined before it) this one is the single case of: set alone, the
    # list is this one entry; unset, it is the list's first entry; set with the list, it
    # must be one of its entries (values.load says so otherwise)
    one_of: str = ""

    @property
    def attribute(self) -> str:
        return self.field or self.name.lower()

    @property
    def owned(self) -> bool:
        return self.default is OWNED


def _derive(*needs: str, build: Callable[..., str]) -> Callable[[dict[str, Any]], str | None]:
    """A default computed from earlier values; None when one of them was bad (already said)."""

    def default(values: dict[str, Any]) -> str | None:
        args = [values.get(name) for name in needs]
        return None if any(arg is None for arg in args) else build(*args)

    return default


def _url(host: str, port: int) -> str:
    return f"http://{host}:{port}"


def _from_profile(field: str) -> Callable[[dict[str, Any]], str | None]:
    return _derive("TIMING_PROFILE", build=lambda t: getattr(t, field))


def _seconds_from_profile(field: str) -> Callable[[dict[str, Any]], str | None]:
    return _derive("TIMING_PROFILE", build=lambda t: f"{durations.seconds(getattr(t, field)):g}")


def _alertmanager_warmup(timing) -> str:
    """Two of Prometheus' resend delays and an evaluation: every firing alert re-sent."""
    resend, evaluation = (
        durations.seconds(v) for v in (timing.alert_resend_delay, timing.evaluation_interval)
    )
    return f"{2 * resend + evaluation:g}"


def _peer_timeout(timing) -> str:
    """Alertmanager's default peer timeout (15 s), at most a fifth of the group interval.
    Each later peer of a cluster waits one more peer timeout before it notifies, with what
    its group held when the wait began; a wait as long as the group interval lets that old
    snapshot go out after the first peer's next notification (a stale FIRING after its
    RESOLVED, prometheus/alertmanager#2447). Three peers: the last waits two of them."""
    return f"{min(15.0, durations.seconds(timing.group_interval) / 5):g}s"


def _starts_at_tolerance(timing) -> str:
    """How far two Prometheus of a pair may stamp one alert's startsAt apart: each
    evaluates on its own phase (up to an evaluation apart) over its own scrapes (up to a
    scrape apart); doubled for margin. Far below the shortest instance (`for` plus
    keep_firing_for), so a genuinely new instance never falls inside it."""
    scrape, evaluation = (
        durations.seconds(v) for v in (timing.scrape_interval, timing.evaluation_interval)
    )
    return f"{2 * (scrape + evaluation):g}"


def _target(host_name: str, port_name: str) -> Callable[[dict[str, Any]], str | None]:
    return _derive(host_name, port_name, build=lambda host, port: f"{host}:{port}")


def _runbook(values: dict[str, Any]) -> str | None:
    """The bridge's own /runbook page (docs/runbook.md rendered, alert-bridge/bridge/runbook.py),
    as people reach the bridge (BRIDGE_EXTERNAL_URL, defined above it)."""
    base = values.get("BRIDGE_EXTERNAL_URL")
    return None if base is None else f"{base}/runbook"


LOCAL = "127.0.0.1"

V = Variable
VARIABLES: tuple[Variable, ...] = (
    # --- where each part listens and is reached ---------------------------------------
    V("API_PORT", "8000", p.port, to=(API,)),
    V("BRIDGE_PORT", "8001", p.port, to=BRIDGE_SIDE),
    V("OUTBOX_METRICS_PORT", "8002", p.port, to=BRIDGE_SIDE),
    V("PROMETHEUS_PORT", "9090", p.port, to=(PROMETHEUS,)),
    V("ALERTMANAGER_PORT", "9093", p.port, to=(ALERTMANAGER,)),
    V("GRAFANA_PORT", "3000", p.port, to=(GRAFANA,)),
    V("REDIS_PORT", "6380", p.port, to=(REDIS,)),
    V("API_HOST", LOCAL, p.host),
    # where the bridge and the worker's /metrics listen (0.0.0.0 in a container)
    V("BRIDGE_HOST", LOCAL, p.host, to=BRIDGE_SIDE),
    V("OUTBOX_HOST", LOCAL, p.host),
    V("PROMETHEUS_HOST", LOCAL, p.host, to=(PROMETHEUS,)),
    V("ALERTMANAGER_HOST", LOCAL, p.host, to=(ALERTMANAGER,)),
    # where the API's summary and the bridge (culprits, values at resolve) query Prometheus,
    # in order: the first that answers wins (the servers of a pair, or a long-term store)
    V(
        "PROMETHEUS_URLS",
        _derive("PROMETHEUS_HOST", "PROMETHEUS_PORT", build=_url),
        p.http_urls,
        to=(API, *BRIDGE_SIDE),
    ),
    # the one Prometheus Grafana asks (and the API's heartbeat check), and links' default:
    # the single case of PROMETHEUS_URLS (by default its first entry)
    V(
        "PROMETHEUS_URL",
        _derive("PROMETHEUS_URLS", build=lambda urls: urls[0]),
        p.http_url,
        to=(API, GRAFANA),
        one_of="PROMETHEUS_URLS",
    ),
    # links in Slack messages, and each server's --web.external-url
    V(
        "PROMETHEUS_EXTERNAL_URL",
        _derive("PROMETHEUS_URL", build=str),
        p.http_url,
        to=(*BRIDGE_SIDE, PROMETHEUS),
    ),
    V(
        "ALERTMANAGER_EXTERNAL_URL",
        _derive("ALERTMANAGER_HOST", "ALERTMANAGER_PORT", build=_url),
        p.http_url,
        to=(*BRIDGE_SIDE, ALERTMANAGER),
    ),
    V(
        "REDIS_URL",
        _derive("REDIS_PORT", build=lambda port: f"redis://{LOCAL}:{port}/0"),
        p.redis_url,
        to=(API, *BRIDGE_SIDE),
    ),
    # Sentinel (docs/ha.md, "Redis with Sentinel"): set, every process asks these
    # sentinels for the primary of REDIS_SENTINEL_MASTER and follows a failover; REDIS_URL
    # then gives only the database number and password
    V("REDIS_SENTINELS", "", p.optional_targets, to=(API, *BRIDGE_SIDE)),
    V("REDIS_SENTINEL_MASTER", "taskmgr", p.sentinel_master, to=(API, *BRIDGE_SIDE)),
    # a webhook (and the worker's marks and lease) counts only once WAIT says this many
    # replicas hold it: 1 with Sentinel (a failover must not lose an acknowledged alert),
    # 0 for a single server; past REDIS_WAIT_TIMEOUT_MS the webhook answers 503
    V(
        "REDIS_WAIT_REPLICAS",
        _derive("REDIS_SENTINELS", build=lambda sentinels: "1" if sentinels else "0"),
        p.non_negative_int,
        to=BRIDGE_SIDE,
    ),
    V("REDIS_WAIT_TIMEOUT_MS", "500", p.positive_int, to=BRIDGE_SIDE),
    # a Grafana link in Slack messages and dashboard_url in the rules only when set
    # explicitly: a guessed URL would be a dead link wherever Grafana is not running
    V("GRAFANA_URL", "", p.optional_http_url, to=BRIDGE_SIDE),
    # where people reach the bridge's own pages (Acknowledge links in Slack); a listen
    # address of 0.0.0.0 is no address to open: set it then (compose does)
    V(
        "BRIDGE_EXTERNAL_URL",
        _derive("BRIDGE_HOST", "BRIDGE_PORT", build=_url),
        p.http_url,
        to=BRIDGE_SIDE,
    ),
    # runbook links in the rules; by default the bridge's own /runbook page (below
    # BRIDGE_EXTERNAL_URL, whose value its default reads)
    V("RUNBOOK_BASE_URL", _runbook, p.http_url),
    # Alertmanager serves its web UI (the official image does; Debian's package has none):
    # only then do Slack messages carry a Silence link into it
    V("ALERTMANAGER_UI", "false", p.boolean, to=BRIDGE_SIDE),
    # optional: Prometheus also sends every sample to this remote-write endpoint (a
    # long-term store: VictoriaMetrics, Thanos Receive, Mimir; docs/ha.md)
    V("PROMETHEUS_REMOTE_WRITE_URL", "", p.optional_http_url),
    # --- alerting -----------------------------------------------------------------------
    V("ERROR_RATE_THRESHOLD", "5.0", p.percent),  # percent of requests answered 5xx
    # milliseconds; the API's latency histogram has a bucket there (the latency SLO counts it)
    V("LATENCY_P95_THRESHOLD", "500.0", p.positive_number, to=(API,)),
    # Alertmanager's repeat interval, and the bridge's bound on repeats of an ongoing alert
    V("ALERT_COOLDOWN_SECONDS", "300", p.positive_int, to=BRIDGE_SIDE),
    # the profile with any timing overrides applied (stack.settings.values)
    V("TIMING_PROFILE", "production", p.profile, field="timing"),
    # how the API summary names the rules' window: always what the rules use
    V(
        "SUMMARY_WINDOW_LABEL",
        _derive("TIMING_PROFILE", build=lambda t: durations.describe(t.rule_window)),
        str,
        to=(API,),
        field="window_label",
        derived=True,
    ),
    # --- SLOs: error budgets and burn-rate alerts (stack/slo.py) ---------------------------
    V("SLO_AVAILABILITY_TARGET", "99.9", p.slo_target, to=(API,)),  # % of requests not 5xx
    # % of requests faster than LATENCY_P95_THRESHOLD
    V("SLO_LATENCY_TARGET", "99", p.slo_target, to=(API,)),
    V("SLO_WINDOW", "30d", p.slo_window),  # the error budget's window, a Prometheus duration
    V("SLO_ALERTS_ENABLED", "true", p.boolean),  # false: no burn-rate alert rules are rendered
    # the window the rules and the summary use: SLO_WINDOW, scaled down by the fast profile
    V(
        "SLO_RULE_WINDOW",
        _derive("SLO_WINDOW", "TIMING_PROFILE", build=slo.scaled),
        str,
        to=(API,),
        derived=True,
    ),
    # Prometheus' --storage.tsdb.retention.time: long enough for the SLO window
    V(
        "PROMETHEUS_RETENTION",
        _derive("SLO_WINDOW", "TIMING_PROFILE", build=slo.retention),
        str,
        to=(PROMETHEUS,),
        derived=True,
    ),
    V(
        "ALERT_RESEND_DELAY",
        _from_profile("alert_resend_delay"),
        str,
        to=(PROMETHEUS,),
        derived=True,
    ),
    V(
        "HEARTBEAT_TIMEOUT_SECONDS",
        _seconds_from_profile("heartbeat_timeout"),
        p.positive_number,
        to=(API, *BRIDGE_SIDE),
    ),
    V(
        # An Alertmanager that started this recently may not hold every firing alert yet
        # (Prometheus re-sends them each resend delay): reconciliation asks it nothing
        # about resolves until then, or a restart would page false RESOLVED notices.
        "ALERTMANAGER_WARMUP_SECONDS",
        _derive("TIMING_PROFILE", build=_alertmanager_warmup),
        p.positive_number,
        to=BRIDGE_SIDE,
        derived=True,
    ),
    V(
        # one alert instance's record identity under a Prometheus pair (alertstore/layout.py)
        "ALERT_STARTS_AT_TOLERANCE_SECONDS",
        _derive("TIMING_PROFILE", build=_starts_at_tolerance),
        p.positive_number,
        to=BRIDGE_SIDE,
        derived=True,
    ),
    V(
        "RECONCILE_INTERVAL_SECONDS",
        _seconds_from_profile("reconcile_interval"),
        p.positive_number,
        to=BRIDGE_SIDE,
    ),
    # --- instances (several for high availability, docs/ha.md) -------------------------
    V("API_TARGETS", _target("API_HOST", "API_PORT"), p.targets),
    V(
        "BRIDGE_URLS",
        _derive("BRIDGE_HOST", "BRIDGE_PORT", build=_url),
        p.base_urls,
        # the bridge's listen address (0.0.0.0) is no address to call: give BRIDGE_URLS then
    ),
    V("OUTBOX_TARGETS", _target("OUTBOX_HOST", "OUTBOX_METRICS_PORT"), p.targets),
    V("ALERTMANAGER_TARGETS", _target("ALERTMANAGER_HOST", "ALERTMANAGER_PORT"), p.targets),
    # names of a Prometheus pair (`a,b`): one config each, prometheus-<name>.yml, whose
    # `replica` label Alertmanager never sees; empty: one Prometheus (docs/ha.md)
    V("PROMETHEUS_REPLICAS", "", p.replica_names),
    # several Alertmanagers gossip (one notification per alert): each listens on its host
    # at this port and joins these peers (host:port, itself included); none: no cluster
    V("ALERTMANAGER_CLUSTER_PORT", "9094", p.port),
    V("ALERTMANAGER_CLUSTER_PEERS", "", p.optional_targets),
    V(
        "ALERTMANAGER_CLUSTER_LISTEN_ADDRESS",
        _derive(
            "ALERTMANAGER_HOST",
            "ALERTMANAGER_CLUSTER_PORT",
            "ALERTMANAGER_CLUSTER_PEERS",
            build=lambda host, port, peers: f"{host}:{port}" if peers else "",
        ),
        str,
        to=(ALERTMANAGER,),
        derived=True,
    ),
    V(
        "ALERTMANAGER_CLUSTER_PEER_TIMEOUT",
        _derive("TIMING_PROFILE", build=_peer_timeout),
        str,
        to=(ALERTMANAGER,),
        derived=True,
    ),
    V(
        "ALERTMANAGER_CLUSTER_PEER_FLAGS",
        _derive(
            "ALERTMANAGER_CLUSTER_PEERS",
            build=lambda peers: " ".join(f"--cluster.peer={peer}" for peer in peers),
        ),
        str,
        to=(ALERTMANAGER,),
        derived=True,
    ),
    # Alertmanager APIs the worker reconciles the history with
    V(
        "ALERTMANAGER_URLS",
        _derive("ALERTMANAGER_TARGETS", build=lambda ts: ",".join(f"http://{t}" for t in ts)),
        p.base_urls,
        to=BRIDGE_SIDE,
    ),
    # --- secrets (bearer tokens: stack/tokens.py) ---------------------------------------
    # default: $STATE_DIR/bridge_token, which `make run` generates (stack.bootstrap)
    V("ALERT_BRIDGE_TOKEN", None, str, to=BRIDGE_SIDE, field="bridge_token", secret=True),
    # default: $STATE_DIR/ack_signing_key, generated like the token; signs Acknowledge links
    V("ACK_SIGNING_KEY", None, str, to=BRIDGE_SIDE, secret=True),
    # set: the API's /metrics demands it, and Prometheus sends it (file metrics_token)
    V("METRICS_AUTH_TOKEN", "", str, to=(API,), secret=True),
    # --- alert bridge and delivery worker ------------------------------------------------
    V("SLACK_WEBHOOK_URL", "", p.optional_http_url, to=BRIDGE_SIDE, secret=True),
    V("SLACK_TIMEOUT_SECONDS", "5", p.positive_number, to=BRIDGE_SIDE),
    V("DELIVERY_MAX_BACKOFF_SECONDS", "300", p.positive_number, to=BRIDGE_SIDE),
    V("DELIVERY_MAX_RETRY_AFTER_SECONDS", "60", p.positive_number, to=BRIDGE_SIDE),
    V("DELIVERY_LEASE_SECONDS", "15", p.positive_number, to=BRIDGE_SIDE),
    V("BRIDGE_MAX_BODY_BYTES", "1048576", p.positive_int, to=BRIDGE_SIDE),
    V("FLAP_WINDOW_SECONDS", "3600", p.positive_int, to=BRIDGE_SIDE),
    # records resolved longer ago are trimmed by the worker (alertstore.trim); the API's
    # alerts/stats/ says what it covers
    V("ALERT_HISTORY_RETENTION_DAYS", "90", p.positive_int, to=(API, *BRIDGE_SIDE)),
    # how long an Acknowledge link in a message works (reusable until then)
    V("ACK_LINK_TTL_SECONDS", "3600", p.ack_ttl, to=BRIDGE_SIDE),
    # the most the webhook's Prometheus questions (bridge.prom) may add to its answer
    V("PROMETHEUS_QUERY_BUDGET_SECONDS", "1", p.positive_number, to=BRIDGE_SIDE),
    # --- the API's own (api/taskmgr/settings.py owns default and validation) -------------
    *(
        V(name, OWNED, to=(API,), secret=name in ("DJANGO_SECRET_KEY", "DATABASE_URL"))
        for name in (
            "DJANGO_SECRET_KEY",
            "DJANGO_DEBUG",
            "DJANGO_ALLOWED_HOSTS",
            "DJANGO_SECURE_HTTPS",
            "DJANGO_LOG_LEVEL",
            "CORS_ALLOWED_ORIGINS",
            "DATABASE_URL",
            "SQLITE_PATH",
            "API_BIND",
            "GUNICORN_WORKERS",
            "GUNICORN_TIMEOUT",
            "GUNICORN_MAX_REQUESTS",
            "GUNICORN_ACCESS_LOG",
            "THROTTLE_ANON_RATE",
            "THROTTLE_USER_RATE",
            "THROTTLE_AUTH_RATE",
            "FAULT_INJECTION_ENABLED",
            "IDEMPOTENCY_KEY_TTL_SECONDS",
            "DJANGO_SUPERUSER_USERNAME",
            "DJANGO_SUPERUSER_PASSWORD",
            "DJANGO_SUPERUSER_EMAIL",
        )
    ),
    V("GRAFANA_HOME", OWNED, to=(GRAFANA,)),
    # --- where the stack keeps its files (stack.envfiles derives each process' paths) ------
    V("STATE_DIR", OWNED),  # default <repo>/.run: rendered config, AOF, TSDB, SQLite, secrets
    V("METRICS_DIR", OWNED),  # default $STATE_DIR/multiproc: API's and bridge's metric files
)
BY_NAME = {variable.name: variable for variable in VARIABLES}
