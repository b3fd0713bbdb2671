"""Timing profiles: how quickly the stack notices a problem, waits, and repeats itself.

`production` keeps the 5-minute windows and `for` durations on-call expects; `fast` works in
seconds so a demo or an end-to-end test sees an alert fire and resolve within a minute.
Each timing can still be overridden by its environment variable (stack/settings/).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    name: str
    scrape_interval: str
    evaluation_interval: str
    rule_window: str  # the `[W]` of every recording rule
    error_rate_for: str
    latency_for: str
    api_down_for: str
    group_wait: str
    critical_group_wait: str  # ApiDown should not wait as long as the symptoms do
    group_interval: str
    # Requests/s over the window below which HighErrorRate/HighLatency stay quiet: one failed
    # request out of three is not an incident.
    min_request_rate: float
    keep_firing_for: str  # an alert stays firing this long after its condition clears (flaps)
    startup_grace: str  # no ApiDown page this soon after Prometheus starts
    heartbeat_interval: str  # how often the Heartbeat alert reaches the bridge
    heartbeat_timeout: str  # no heartbeat for this long: the pipeline is broken
    reconcile_interval: str  # how often the worker compares the history with Alertmanager
    alert_resend_delay: (
        str  # Prometheus' --rules.alert.resend-delay (alerts expire after 4 of these)
    )
    # The SLO windows (SLO_WINDOW and the burn-rate windows 5m ... 3d, stack/slo.py) are
    # divided by this: 60 turns the 1h/5m page into 1m/5s and a 30d SLO into 12h.
    slo_time_scale: int


PROFILES = {
    "production": Profile(
        name="production",
        scrape_interval="15s",
        evaluation_interval="15s",
        rule_window="5m",
        error_rate_for="2m",
        latency_for="5m",
        api_down_for="1m",
        group_wait="30s",
        critical_group_wait="10s",
        group_interval="5m",
        min_request_rate=0.1,  # ≥ 30 requests per 5 minutes
        keep_firing_for="2m",
        startup_grace="2m",
        heartbeat_interval="1m",
        heartbeat_timeout="5m",
        reconcile_interval="1m",
        alert_resend_delay="1m",
        slo_time_scale=1,
    ),
    "fast": Profile(
        name="fast",
        scrape_interval="1s",
        evaluation_interval="1s",
        rule_window="15s",
        error_rate_for="5s",
        latency_for="5s",
        api_down_for="5s",
        group_wait="1s",
        critical_group_wait="1s",
        group_interval="5s",  # a resolved notice follows within seconds
        min_request_rate=1.0,  # ≥ 15 requests per 15 seconds
        keep_firing_for="5s",
        startup_grace="20s",
        heartbeat_interval="2s",
        heartbeat_timeout="15s",
        reconcile_interval="2s",
        alert_resend_delay="1s",
        slo_time_scale=60,  # the shortest burn window, 5s, still holds five 1 s scrapes
    ),
}
