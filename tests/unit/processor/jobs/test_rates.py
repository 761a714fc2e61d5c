"""The running jobs' rows per second: each job's rate over its last window, summed by
kind, and the gauge the worker's /metrics shows from them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from conveyor_common.jobs import Job, JobStatus
from conveyor_processor.job_metrics import RowRatesCollector
from conveyor_processor.jobs.lease_keeper import LeaseKeeper
from conveyor_processor.jobs.progress import ProgressReporter, ProgressThrottle
from conveyor_processor.jobs.rates import RATE_WINDOW_SECONDS, RowRates


def test_a_rate_is_the_rows_of_the_last_window_over_its_length() -> None:
    rates = RowRates()
    with rates.running("export", started_at_seconds=0.0) as meter:
        # shorter than a window: still nothing measured
        meter.observe(500, now_seconds=0.5)
        assert rates.by_kind() == {"export": 0.0}
        meter.observe(1_000, now_seconds=2.0)
        assert rates.by_kind() == {"export": 500.0}
        # the next window counts only its own rows
        meter.observe(1_300, now_seconds=3.0)
        assert rates.by_kind() == {"export": 300.0}
    assert rates.by_kind() == {}


def test_jobs_of_one_kind_add_up_and_each_kind_is_apart() -> None:
    rates = RowRates()
    with (
        rates.running("import", started_at_seconds=0.0) as first,
        rates.running("import", started_at_seconds=0.0) as second,
        rates.running("export", started_at_seconds=0.0) as export,
    ):
        first.observe(100, now_seconds=1.0)
        second.observe(250, now_seconds=1.0)
        export.observe(40, now_seconds=2.0)
        assert rates.by_kind() == {"import": 350.0, "export": 20.0}
        with rates.running("import", started_at_seconds=1.0):
            assert rates.by_kind()["import"] == 350.0
    assert rates.by_kind() == {}


@given(
    st.lists(
        st.tuples(st.integers(0, 10**6), st.floats(0.0, 100.0, allow_nan=False)),
        min_size=1,
        max_size=20,
    )
)
def test_a_rate_is_never_negative_and_never_more_than_a_window_allows(
    reports: list[tuple[int, float]],
) -> None:
    # given reports in time order, with counts that may even go back (a retried batch)
    rates = RowRates()
    now = 0.0
    with rates.running("export", started_at_seconds=0.0) as meter:
        for rows, step in reports:
            now += step
            meter.observe(rows, now_seconds=now)
            rate = rates.by_kind()["export"]
            # then the rate is at most all rows over one shortest window
            assert 0.0 <= rate <= max(rows for rows, _ in reports) / RATE_WINDOW_SECONDS


def scraped(rates: RowRates) -> dict[str, float]:
    registry = CollectorRegistry()
    registry.register(RowRatesCollector(rates))
    text = generate_latest(registry).decode()
    return {
        sample.labels["kind"]: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "conveyor_job_rows_per_second"
    }


def test_the_gauge_shows_each_kind_at_0_while_none_runs_and_the_sum_while_some_do() -> None:
    rates = RowRates()
    assert scraped(rates) == {"export": 0.0, "import": 0.0}
    with rates.running("import", started_at_seconds=0.0) as meter:
        meter.observe(3_000, now_seconds=1.5)
        assert scraped(rates) == {"export": 0.0, "import": 2_000.0}
    assert scraped(rates) == {"export": 0.0, "import": 0.0}


def a_job() -> Job:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    return Job(
        tenant_id="acme",
        status=JobStatus.PROCESSING,
        created_at=now,
        expires_at=now + timedelta(days=1),
    )


def test_progress_feeds_the_rows_when_given_and_the_units_otherwise() -> None:
    rates = RowRates()
    seconds = iter([1.0, 2.0])
    with rates.running("import", started_at_seconds=0.0) as meter:
        report = ProgressReporter(
            throttle=ProgressThrottle(estimated_total=10**6, started_at_seconds=0.0),
            keeper=LeaseKeeper(renew=lambda: a_job(), lease_seconds=60),
            renew=lambda percentage: a_job(),
            monotonic=lambda: next(seconds),
            meter=meter,
        )
        # an import reports bytes, with the rows read beside them
        report(90_000, rows=400)
        assert rates.by_kind() == {"import": 400.0}
        # an export's units are its rows
        report(1_000)
        assert rates.by_kind() == {"import": 600.0}
