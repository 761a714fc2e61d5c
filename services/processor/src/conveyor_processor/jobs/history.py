"""A kind's history table in PostgreSQL: one row per job, upserted on each change; what
the producer lists. Its columns are the kind's record's fields (a unit test holds each
table to its record) but for the row's own; DynamoDB holds the live state and lease."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine, Table, func
from sqlalchemy.dialects.postgresql import insert as pg_insert

from conveyor_common.jobs import Job, JobStatus

J = TypeVar("J", bound=Job)

_TERMINAL = [status.value for status in JobStatus if status.is_terminal]
# The history's own column: when its row last changed.
ROW_ONLY = frozenset({"updated_at"})


def kept_columns(table: Table) -> tuple[str, ...]:
    """The columns that each hold the record's field of their name."""
    return tuple(column.name for column in table.columns if column.name not in ROW_ONLY)


class SqlJobHistory(Generic[J]):
    def __init__(
        self,
        engine: Engine,
        *,
        table: Table,
        id_column: str,
        encoded: Callable[[J], Mapping[str, Any]],
    ) -> None:
        """`encoded` gives the kind's fields that a column holds other than as they are
        (an enum as its value, say); every other kept column takes the field as it is."""
        self._engine = engine
        self._table = table
        self._id_column = id_column
        self._encoded = encoded
        self._kept = kept_columns(table)

    def upsert(self, job: J) -> None:
        """Insert or update the job's row. A finished row is never moved back, so a late
        or repeated write cannot undo an outcome."""
        values = {name: getattr(job, name) for name in self._kept}
        values |= {"status": job.status.value, **self._encoded(job)}
        statement = pg_insert(self._table).values(values)
        changes = {name: statement.excluded[name] for name in values if name != self._id_column}
        statement = statement.on_conflict_do_update(
            index_elements=[self._table.c[self._id_column]],
            set_={**changes, "updated_at": func.now()},
            where=self._table.c.status.not_in(_TERMINAL),
        )
        with self._engine.begin() as connection:
            connection.execute(statement)
