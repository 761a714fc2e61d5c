"""One file's import: its orders read in order, checked by the order rules, upserted in
batches; every rejected row reported; the counts kept as each batch commits."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from conveyor_common.imports.model import RejectionCode
from conveyor_common.orders import Order
from conveyor_processor.imports.file_order import FileOrder
from conveyor_processor.imports.mapping import to_order
from conveyor_processor.imports.ports import ImportSession
from conveyor_processor.imports.rejections import Rejection, every_line
from conveyor_processor.imports.report import ErrorReport

BATCH_ORDERS = 500


@dataclass(frozen=True)
class Counts:
    rows_total: int = 0
    rows_imported: int = 0
    rows_unchanged: int = 0
    rows_rejected: int = 0


@dataclass(frozen=True)
class ImportTarget:
    """Whose orders they are, when they were submitted, and whether to write them."""

    tenant_id: str
    uploaded_at: datetime
    write: bool


_Checked = tuple[FileOrder, Order | list[Rejection]]


class FileImport:
    """Runs one file through; `committed` is what the batches stored so far. `progress`
    is told the rows read so far after each order."""

    def __init__(
        self,
        target: ImportTarget,
        *,
        session: ImportSession,
        report: ErrorReport,
        progress: Callable[[int], None],
        batch_orders: int = BATCH_ORDERS,
    ) -> None:
        self._target = target
        self._session = session
        self._report = report
        self._progress = progress
        self._batch_orders = batch_orders
        self.committed = Counts()

    def run(self, orders: Iterator[FileOrder]) -> Counts:
        """Reads and checks the file's orders, writing each full batch as it comes: the
        database works on its own core while the batch streams to it with COPY. Batches
        commit in the file's order; a cancel or a lost lease is heard between orders."""
        batch: list[_Checked] = []
        rows_read = 0
        for read in orders:
            batch.append((read, self._check(read)))
            if len(batch) >= self._batch_orders:
                self._apply(batch)
            rows_read += read.rows
            self._progress(rows_read)
        self._apply(batch)
        return self.committed

    def _check(self, read: FileOrder) -> Order | list[Rejection]:
        target = self._target
        return to_order(read, tenant_id=target.tenant_id, uploaded_at=target.uploaded_at)

    def _apply(self, batch: list[_Checked]) -> None:
        if not batch:
            return
        valid = [(read, result) for read, result in batch if isinstance(result, Order)]
        outcome = self._session.apply([order for _, order in valid], write=self._target.write)
        repeated = {id(valid[position][0]) for position in outcome.duplicates}
        written = {id(valid[position][0]) for position in outcome.written}
        counts = self.committed
        total, imported, unchanged, rejected = 0, 0, 0, 0
        for read, result in sorted(batch, key=lambda checked: checked[0].line):
            total += read.rows
            problems = _duplicate(read) if id(read) in repeated else result
            if isinstance(problems, list):
                self._report.add(read, _every_line(read, problems))
                rejected += read.rows
            elif id(read) in written:
                imported += read.rows
            else:
                unchanged += read.rows
        self.committed = Counts(
            rows_total=counts.rows_total + total,
            rows_imported=counts.rows_imported + imported,
            rows_unchanged=counts.rows_unchanged + unchanged,
            rows_rejected=counts.rows_rejected + rejected,
        )
        batch.clear()


def _lines(read: FileOrder) -> tuple[int, ...]:
    # A CSV order's lines, or the one line (position) of any other row.
    return read.item_lines or (read.line,)


def _every_line(read: FileOrder, problems: list[Rejection]) -> list[Rejection]:
    return every_line(problems, lines=_lines(read), order_ref=read.order_ref)


def _duplicate(read: FileOrder) -> list[Rejection]:
    # Each line of the order repeats the orderId.
    return [
        Rejection(
            line=line,
            order_ref=read.order_ref,
            field="orderId",
            code=RejectionCode.DUPLICATE_ORDER,
            message="the file has an earlier order with this orderId",
        )
        for line in _lines(read)
    ]
