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


def middleware_for(variant: str, shipped: list[str]) -> list[str]:
    """taskmgr's MIDDLEWARE (`shipped`, ours first) rearranged for one variant."""
    others = [name for name in shipped if name != OURS]
    if variant == "off":
        return others
    if variant == "django-prometheus":
        # Its documented placement: Before first, After last.
        return [
            "django_prometheus.middleware.PrometheusBeforeMiddleware",
            *others,
            "django_prometheus.middleware.PrometheusAfterMiddleware",
        ]
    return list(shipped)


SHIPPED_MIDDLEWARE = list(MIDDLEWARE)
MIDDLEWARE = middleware_for(BENCH_METRICS, SHIPPED_MIDDLEWARE)
if BENCH_METRICS == "django-prometheus":
    INSTALLED_APPS = [*INSTALLED_APPS, "django_prometheus"]
