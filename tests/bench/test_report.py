"""bench/report.py: the results table keeps other benchmarks' rows when a subset re-runs."""

from bench.report import Result, judged, percentile, read_table, spread, write_table


def _row(name: str, figure: str) -> Result:
    return Result(
        f"{name} figure", figure, "≤ 1", "pass", f"python -m bench.{name}", "2 x CPU", "today"
    )


def test_rerunning_one_benchmark_replaces_only_its_rows(tmp_path):
    table = tmp_path / "results.md"
    write_table(
        table,
        [_row("scrape", "5.0 ms"), _row("ingest", "2000 alerts/s")],
        replaced={"scrape", "ingest"},
    )
    write_table(table, [_row("ingest", "2500 alerts/s")], replaced={"ingest"})

    assert read_table(table) == [_row("scrape", "5.0 ms"), _row("ingest", "2500 alerts/s")]


def test_a_pipe_in_a_figure_does_not_break_the_table(tmp_path):
    table = tmp_path / "results.md"
    write_table(table, [_row("history", "a | b")], replaced={"history"})

    assert read_table(table)[0].figure == "a / b"


def test_spread_is_median_min_max():
    assert spread([3.0, 1.0, 2.0]) == "2.00 (1.00..3.00)"
    assert spread([4.0], "{:.0f}") == "4"


def test_percentile_is_nearest_rank():
    values = list(range(1, 101))
    assert percentile(values, 95) == 95
    assert percentile(values, 100) == 100
    assert percentile([7.0], 95) == 7.0


def test_a_judged_figure_states_the_bound_its_median_is_checked_against():
    # median 5 ms, although one round is far over the bound
    scrape = judged("scrape", "5 ms", [4.0, 60.0, 5.0], "<", 50.0, "{:g} ms")
    ingest = judged("ingest", "900 alerts/s", [900.0], "≥", 1000, "{:,} alerts/s")
    at_bound = judged("task list", "2 ms", [2.0], "≤", 2.0)

    assert (scrape.target, scrape.verdict) == ("< 50 ms", "pass")
    assert (ingest.target, ingest.verdict) == ("≥ 1,000 alerts/s", "FAIL")
    assert (at_bound.target, at_bound.verdict) == ("≤ 2", "pass")
