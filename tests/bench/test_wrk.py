"""bench/wrk.py reads wrk's report and refuses runs with errors."""

import pytest

from bench.wrk import WrkError, parse

REPORT = """Running 1s test @ http://127.0.0.1:8000/api/v1/tasks/
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    18.40ms    6.12ms  61.04ms   79.12%
    Req/Sec   218.50     30.41   270.00     70.00%
  Latency Distribution
     50%   17.21ms
     75%  950.00us
     90%   24.80ms
     99%    1.20s
  437 requests in 1.00s, 1.92MB read
Requests/sec:    436.12
Transfer/sec:      1.91MB
"""


def test_reads_rate_count_and_latency_in_ms():
    report = parse(REPORT)

    assert report.requests_per_second == 436.12
    assert report.requests == 437
    assert report.latency_ms == pytest.approx({50: 17.21, 75: 0.95, 90: 24.8, 99: 1200.0})


def test_non_2xx_answers_invalidate_the_run_unless_asked_for():
    output = REPORT.replace("Requests/sec", "  Non-2xx or 3xx responses: 12\nRequests/sec")

    with pytest.raises(WrkError, match="12 non-2xx"):
        parse(output)
    assert parse(output, allow_non_2xx=True).requests == 437


def test_socket_errors_invalidate_the_run():
    output = REPORT.replace(
        "Requests/sec", "  Socket errors: connect 0, read 3, write 0, timeout 0\nRequests/sec"
    )

    with pytest.raises(WrkError, match="read 3"):
        parse(output)


def test_unreadable_output_says_so():
    with pytest.raises(WrkError, match="unreadable"):
        parse("wrk: invalid URL")
