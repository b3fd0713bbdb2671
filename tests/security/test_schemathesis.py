"""Schemathesis against the live OpenAPI schema of the whole stack, as an operator.

The stack is `make run`'s (real Prometheus, so metrics/summary/ and /status answer 200, not
the 503 they give without it); requests carry a staff token, so alerts/ is exercised over
real records. Every generated request — schema-valid and schema-violating — must get no
5xx, a documented status code and content type, and a body matching the documented schema.

Not asserted: schemathesis' positive/negative data checks. The API deliberately rejects
some schema-valid input the schema cannot express (weak passwords, a taken username,
since > until) and ignores empty query parameters, as HTML forms send them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from alertstore import writer
from alertstore.records import AlertEvent
from testkit.slack import FakeSlack
from testkit.stack import Stack

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Logging out would revoke the operator token every other case relies on; logout has its
# own test (tests/security/test_auth.py).
LOGOUT = "/api/v1/auth/logout/"
UNLIMITED = "1000000/min"
EXAMPLES = 100  # per operation and mode: a few thousand requests, about a minute


def _seed_alerts(stack: Stack) -> None:
    """A firing and a resolved record, so alerts/ answers with real records."""
    client = stack.redis()
    start = datetime.now(UTC) - timedelta(hours=1)
    for n, status in enumerate(("firing", "resolved")):
        event = AlertEvent(
            status=status,
            labels={"alertname": "HighErrorRate", "severity": "error", "route": "api/v1/tasks/"},
            annotations={"summary": "Error rate above 5%", "value": "7.5", "threshold": "5"},
            starts_at=start + timedelta(minutes=n),
            ends_at=start + timedelta(minutes=10) if status == "resolved" else None,
            fingerprint=f"fuzz-{n}",
        )
        writer.record_transition(
            client, event, now=start, cooldown_seconds=300, flap_window_seconds=3600
        )


@pytest.fixture(scope="module")
def fuzz_stack(tmp_path_factory):
    with FakeSlack() as slack:
        stack = Stack(
            tmp_path_factory.mktemp("stack"),
            slack,
            FAULT_INJECTION_ENABLED="false",
            THROTTLE_ANON_RATE=UNLIMITED,
            THROTTLE_USER_RATE=UNLIMITED,
            THROTTLE_AUTH_RATE=UNLIMITED,
        )
        try:
            stack.start(("redis", "prometheus", "api"))
            _seed_alerts(stack)
            yield stack
        finally:
            stack.stop()


def _fuzz(operation, mode: GenerationMode, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    def run(case):
        case.call_and_validate(headers=headers, checks=CHECKS, timeout=30)

    run()


def test_no_5xx_and_every_response_matches_the_schema(fuzz_stack):
    # schemathesis' pytest loader (from_fixture) breaks on pytest 9, and the schema only
    # exists once the server runs, so each operation is fuzzed here with plain hypothesis.
    schema = schemathesis.openapi.from_url(f"{fuzz_stack.api_url}/api/v1/schema/?format=json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15, [op.label for op in operations]
    failures = {}
    for operation in operations:
        if operation.path == LOGOUT:
            continue
        for mode in GenerationMode:
            try:
                _fuzz(operation, mode, fuzz_stack.staff_headers())
            except Unsatisfiable:
                # no parameters and no body: there is nothing to send that breaks the schema
                assert mode is GenerationMode.NEGATIVE, operation.label
            except Exception as exc:  # collect every operation's failure, then report all
                failures[f"{operation.label} ({mode.value})"] = exc
    assert not failures, "\n\n".join(f"== {name}\n{exc}" for name, exc in failures.items())
