"""The processor's job metrics.

conveyor_jobs{kind,status}: how many jobs the catalogue holds in each status. One
GROUP BY per table, at most every 15 s (conveyor_aws.metrics.sampling): the tables
hold a row per job, not per item, so the count stays cheap.

conveyor_job_rows_per_second{kind}: the rows per second of the jobs this worker is
running, summed over its threads; 0 for a kind with none running. Read from memory
(jobs.rates), so every scrape sees the latest window.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, Table, func, select

from conveyor_aws.metrics.sampling import Sampled
from conveyor_processor.exports.history import EXPORT_JOBS
from conveyor_processor.imports.history import IMPORT_JOBS
from conveyor_processor.jobs.rates import ROW_RATES, RowRates

# The `kind` label -> the catalogue table of that kind of job.
CATALOGUE: dict[str, Table] = {"export": EXPORT_JOBS, "import": IMPORT_JOBS}

# (kind, status) -> jobs
JobCounts = dict[tuple[str, str], int]


def read_job_counts(engine: Engine) -> JobCounts:
    counts: JobCounts = {}
    with engine.connect() as connection:
        for kind, table in CATALOGUE.items():
            query = select(table.c.status, func.count()).group_by(table.c.status)
            for status, count in connection.execute(query):
                counts[(kind, str(status))] = int(count)
    return counts


class JobsCollector(Collector):
    def __init__(self, engine: Engine, **sampling: Any) -> None:
        self._counts: Sampled[JobCounts] = Sampled(
            lambda: read_job_counts(engine), empty={}, **sampling
        )

    def collect(self) -> Iterable[Metric]:
        family = GaugeMetricFamily(
            "conveyor_jobs",
            "Export and import jobs in the catalogue, by kind and status.",
            labels=["kind", "status"],
        )
        for (kind, status), count in sorted(self._counts.get().items()):
            family.add_metric([kind, status], count)
        yield family


class RowRatesCollector(Collector):
    def __init__(self, rates: RowRates = ROW_RATES) -> None:
        self._rates = rates

    def collect(self) -> Iterable[Metric]:
        family = GaugeMetricFamily(
            "conveyor_job_rows_per_second",
            "Rows per second of the jobs running on this worker, by kind (0: none running).",
            labels=["kind"],
        )
        running = self._rates.by_kind()
        for kind in sorted(CATALOGUE.keys() | running.keys()):
            family.add_metric([kind], running.get(kind, 0.0))
        yield family
