"""API settings for the benchmarks: taskmgr's own, with the metrics variant chosen by env.

    BENCH_METRICS=ours               taskmgr's MetricsMiddleware (the default, as shipped)
    BENCH_METRICS=off                no request metrics at all
    BENCH_METRICS=django-prometheus  django-prometheus' middleware pair in place of ours

Used as DJANGO_SETTINGS_MODULE=bench.django_settings with the repo root on PYTHONPATH.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from taskmgr.settings import *  # noqa: F403
from taskmgr.settings import INSTALLED_APPS, MIDDLEWARE

VARIANTS = ("ours", "off", "django-prometheus")
OURS = "metrics.middleware.MetricsMiddleware"

BENCH_METRICS = os.environ.get("BENCH_METRICS", "ours")
if BENCH_METRICS not in VARIANTS:
    raise ImproperlyConfigured(f"BENCH_METRICS must be one of {', '.join(VARIANTS)}")

_others = [name for name in MIDDLEWARE if name != OURS]
if BENCH_METRICS == "off":
    MIDDLEWARE = _others
elif BENCH_METRICS == "django-prometheus":
    # Its documented placement: Before first, After last.
    INSTALLED_APPS = [*INSTALLED_APPS, "django_prometheus"]
    MIDDLEWARE = [
        "django_prometheus.middleware.PrometheusBeforeMiddleware",
        *_others,
        "django_prometheus.middleware.PrometheusAfterMiddleware",
    ]
