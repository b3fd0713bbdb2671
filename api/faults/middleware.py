"""Lets a request ask for a server error or extra latency, when FAULT_INJECTION_ENABLED.

Sits right after the metrics middleware, so injected faults are timed and counted like
real ones (that is how the alert pipeline is demonstrated). When disabled the headers are
ignored entirely. The delay comes first, then the status, so both can be combined.
It acts in process_view, after URL resolution, so the fault is labelled with its route;
a path no route matches is a plain 404 either way.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

STATUS_HEADER = "X-Fault-Status"
DELAY_HEADER = "X-Fault-Delay-Ms"
STATUS_RANGE = range(400, 600)
MAX_DELAY_MS = 30_000

INJECTED_DETAIL = "injected fault"
BAD_STATUS = f"{STATUS_HEADER} must be an integer from 400 to 599."
BAD_DELAY = f"{DELAY_HEADER} must be an integer from 0 to {MAX_DELAY_MS}."


def _parse(raw: str, allowed: range) -> int | None:
    try:
        value = int(raw.strip())
    except ValueError:
        return None
    return value if value in allowed else None


class FaultInjectionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        if not settings.FAULT_INJECTION_ENABLED:
            return None
        raw_status = request.headers.get(STATUS_HEADER)
        raw_delay = request.headers.get(DELAY_HEADER)
        fault_status = delay_ms = None
        # Validate both before acting, so a bad header never costs a sleep.
        if raw_status is not None:
            fault_status = _parse(raw_status, STATUS_RANGE)
            if fault_status is None:
                return JsonResponse({"detail": BAD_STATUS}, status=400)
        if raw_delay is not None:
            delay_ms = _parse(raw_delay, range(MAX_DELAY_MS + 1))
            if delay_ms is None:
                return JsonResponse({"detail": BAD_DELAY}, status=400)
        if delay_ms:
            time.sleep(delay_ms / 1000)
        if fault_status is not None:
            return JsonResponse(
                {"detail": INJECTED_DETAIL, "status": fault_status, "delay_ms": delay_ms or 0},
                status=fault_status,
            )
        return None
