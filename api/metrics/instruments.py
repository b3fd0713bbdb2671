"""Every metric the API exports: name, help, labels and buckets, declared once.

Names and labels are a contract (docs/contracts.md): the recording rules, Grafana and the
summary read them. Labels are bounded: `route` is the URL template, never the raw path.
"""

from django.conf import settings
from prometheus_client import Counter, Gauge, Histogram

# Boundaries cluster around the 500 ms HighLatency threshold so p95 near it is resolved;
# quantiles computed from these are bucket-bounded estimates.
BASE_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.4, 0.5, 0.6, 0.75, 1, 2.5, 5, 10)
# One boundary exactly at LATENCY_P95_THRESHOLD: the latency SLO counts the requests under it
# from that bucket (prometheus/rules/taskmgr.yml renders its `le` from the same setting).
LATENCY_THRESHOLD_SECONDS = settings.LATENCY_P95_THRESHOLD / 1000
LATENCY_BUCKETS = tuple(sorted({*BASE_LATENCY_BUCKETS, LATENCY_THRESHOLD_SECONDS}))

REQUEST_LABELS = ("method", "route", "status")

# Fixed label values for requests that do not fit the normal vocabulary.
UNMATCHED_ROUTE = "<unmatched>"
OTHER_METHOD = "<other>"

http_requests_total = Counter(
    "taskmgr_http_requests_total",
    "HTTP requests answered, by method, route template and status code.",
    REQUEST_LABELS,
)

# The same responses by status class, every class created at import so each series exists
# (at 0) from the first scrape. rate() needs two samples of a series, so a series born with
# the first 5xx would delay HighErrorRate by a scrape; the alerting records read this one.
RESPONSE_CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx")

http_responses_total = Counter(
    "taskmgr_http_responses_total",
    "HTTP responses answered, by status class (1xx..5xx); every class exported from start.",
    ("class",),
)
for _class in RESPONSE_CLASSES:
    http_responses_total.labels(_class)

http_request_duration_seconds = Histogram(
    "taskmgr_http_request_duration_seconds",
    "Time from the first middleware to the response, by method, route template and status.",
    REQUEST_LABELS,
    buckets=LATENCY_BUCKETS,
)

# livesum: a dead worker's in-flight count disappears with it (mark_process_dead).
http_requests_in_flight = Gauge(
    "taskmgr_http_requests_in_flight",
    "HTTP requests being served right now, summed over live workers.",
    multiprocess_mode="livesum",
)

tasks_created_total = Counter("taskmgr_tasks_created_total", "Tasks created.")
tasks_completed_total = Counter(
    "taskmgr_tasks_completed_total", "Tasks moved to DONE (mark_done or update)."
)

# taskmgr_active_users is computed at scrape time from Redis, see metrics/active_users.py.
ACTIVE_USERS_NAME = "taskmgr_active_users"
ACTIVE_USERS_HELP = (
    "Distinct authenticated users seen in the last 5 minutes by any API process "
    "(the same on every instance: aggregate with max)."
)
