"""A file's orders into PostgreSQL in batches, keyed by order id (one per tenant and
reference): new ones inserted, changed ones updated, the same ones left alone.

Which orders a file already gave is kept in a temporary table of the import's own
connection, so that memory does not grow with the file. PostgreSQL is an imported
order's only store: it is PERSISTED from the moment it exists, so it needs no read-model
item, and the API reads it from here (conveyor_producer.orders.stored).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from operator import itemgetter
from typing import Any, NamedTuple

import msgspec
import psycopg
from sqlalchemy import Connection, Engine, Table, bindparam, text, update

from conveyor_common.clock import Clock, utc_now
from conveyor_common.orders import Order, OrderItem
from conveyor_processor.imports.ports import BatchOutcome
from conveyor_processor.orders.rows import (
    ORDER_COLUMN_OF,
    ORDER_FIELDS_NOT_IN_ROW,
    OrderItemRow,
    OrderRow,
    item_count,
)

_ORDERS: Table = OrderRow.__table__  # type: ignore[attr-defined]
_ITEMS: Table = OrderItemRow.__table__  # type: ignore[attr-defined]
_SEEN = "import_seen_orders"
# The advisory lock key of a tenant's import batches (hashed with the tenant id).
_LOCK_PREFIX = "conveyor-import-batch:"
# What makes two versions of an order the same: all but when it was submitted and stored.
_COMPARED = (
    "tenant_id",
    "customer_id",
    "customer_email",
    "customer_name",
    "currency",
    "total_amount",
)
_ITEM_COMPARED = ("sku", "name", "quantity", "unit_price", "line_total")
# An item row: its order, its line, then OrderItem's fields in their declared order.
_ITEM_COLUMNS = ("order_id", "line_no", *OrderItem.__struct_fields__)
# The Order fields an order row holds, in their declared order, and what picks their
# values out of the order's tuple.
_ORDER_FIELDS = tuple(
    name for name in Order.__struct_fields__ if name not in ORDER_FIELDS_NOT_IN_ROW
)
_ORDER_VALUES = itemgetter(*(Order.__struct_fields__.index(name) for name in _ORDER_FIELDS))
# An order row: those fields under their column names, then what the import adds.
_ORDER_ROW_COLUMNS = (
    *(ORDER_COLUMN_OF.get(name, name) for name in _ORDER_FIELDS),
    "item_count",
    "event_id",
    "correlation_id",
    "persisted_at",
)
# Records a batch's order ids as seen; answers the positions (from 0) of those seen
# before, in an earlier batch or earlier in this one: usually none, so little comes back.
_REPEATED = f"""
WITH batch AS (SELECT id, position FROM unnest(%b::uuid[]) WITH ORDINALITY AS b (id, position)),
first AS (SELECT DISTINCT ON (id) id, position FROM batch ORDER BY id, position),
fresh AS (
    INSERT INTO {_SEEN} (order_id) SELECT id FROM first ON CONFLICT DO NOTHING RETURNING order_id
)
SELECT position - 1 FROM batch
WHERE position NOT IN (SELECT first.position FROM first JOIN fresh ON fresh.order_id = first.id)
"""
_DELETE_LINES = f"DELETE FROM {_ITEMS.name} WHERE order_id = ANY(%b::uuid[])"
_HEADS = (
    f"SELECT order_id, correlation_id, {', '.join(_COMPARED)} FROM {_ORDERS.name}"
    " WHERE order_id = ANY(%b::uuid[])"
)
_LINES = (
    f"SELECT order_id, {', '.join(_ITEM_COMPARED)} FROM {_ITEMS.name}"
    " WHERE order_id = ANY(%b::uuid[]) ORDER BY order_id, line_no"
)


class SqlOrderUpserts:
    def __init__(self, engine: Engine, *, clock: Clock = utc_now) -> None:
        self._engine = engine
        self._clock = clock

    @contextmanager
    def session(self, *, source: str) -> Iterator[_Session]:
        with self._engine.connect() as connection:
            connection.execute(text(f"DROP TABLE IF EXISTS pg_temp.{_SEEN}"))
            connection.execute(text(f"CREATE TEMP TABLE {_SEEN} (order_id uuid PRIMARY KEY)"))
            connection.commit()
            try:
                yield _Session(self, connection, source=source)
            finally:
                connection.rollback()
                connection.execute(text(f"DROP TABLE IF EXISTS pg_temp.{_SEEN}"))
                connection.commit()

    def write(
        self, connection: Connection, orders: Sequence[Order], *, write: bool, source: str
    ) -> set[uuid.UUID]:
        """Insert or update the orders (only find out which, unless `write`); the ids of
        those this file gives: new, changed, or stored as they are by this same `source`."""
        if write:
            _lock_tenant(connection, orders[0].tenant_id)
        stored = _stored(connection, [order.order_id for order in orders], lock=write)
        new = [order for order in orders if order.order_id not in stored]
        changed = [
            order
            for order in orders
            if order.order_id in stored and stored[order.order_id].content != _content(order)
        ]
        # A killed attempt of this very import committed these: they are imported, not
        # unchanged, when the resumed job reads the file again from its start.
        own = {order_id for order_id, version in stored.items() if version.source == source}
        if not write:
            return {order.order_id for order in [*new, *changed]} | own
        if new:
            persisted_at = self._clock()
            rows = [_order_row(order, source=source, persisted_at=persisted_at) for order in new]
            _copy(connection, _ORDERS, _ORDER_ROW_COLUMNS, rows)
        if changed:
            self._update(connection, changed, source=source)
        if new or changed:
            items = [row for order in new + changed for row in _items(order)]
            _copy(connection, _ITEMS, _ITEM_COLUMNS, items)
        return {order.order_id for order in [*new, *changed]} | own

    def _update(self, connection: Connection, changed: Sequence[Order], *, source: str) -> None:
        with _cursor(connection) as cursor:
            cursor.execute(_DELETE_LINES, [[order.order_id for order in changed]])
        # All but the key and the event id, which an order keeps for good.
        columns = [name for name in _ORDER_ROW_COLUMNS if name not in ("order_id", "event_id")]
        statement = (
            update(_ORDERS)
            .where(_ORDERS.c.order_id == bindparam("key"))
            .values({name: bindparam(f"new_{name}") for name in columns})
        )
        persisted_at = self._clock()
        rows = [
            dict(
                zip(
                    _ORDER_ROW_COLUMNS,
                    _order_row(order, source=source, persisted_at=persisted_at),
                    strict=True,
                )
            )
            for order in changed
        ]
        connection.execute(
            statement,
            [
                {"key": row["order_id"]} | {f"new_{name}": row[name] for name in columns}
                for row in rows
            ],
        )


class _Session:
    def __init__(self, upserts: SqlOrderUpserts, connection: Connection, *, source: str) -> None:
        self._upserts = upserts
        self._connection = connection
        self._source = source

    def apply(self, orders: Sequence[Order], *, write: bool) -> BatchOutcome:
        with self._connection.begin():
            first, duplicates = _first_in_file(self._connection, orders)
            written = (
                self._upserts.write(self._connection, first, write=write, source=self._source)
                if first
                else set()
            )
        positions = {
            position
            for position, order in enumerate(orders)
            if order.order_id in written and position not in duplicates
        }
        return BatchOutcome(duplicates=duplicates, written=frozenset(positions))


def _first_in_file(
    connection: Connection, orders: Sequence[Order]
) -> tuple[list[Order], frozenset[int]]:
    """The orders the file gives for the first time, and the positions of the others."""
    if not orders:
        return [], frozenset()
    with _cursor(connection) as cursor:
        cursor.execute(_REPEATED, [[order.order_id for order in orders]])
        repeated = frozenset(row[0] for row in cursor)
    first = [order for position, order in enumerate(orders) if position not in repeated]
    return first, repeated


class _Stored(NamedTuple):
    """An order as stored: what is compared (`_content`), and who wrote it last."""

    content: tuple[Any, ...]
    source: str


def _lock_tenant(connection: Connection, tenant_id: str) -> None:
    """Hold the tenant's import lock until the batch commits. Row locks cover only the
    orders already stored: without it, two imports giving the same new order would both
    insert it, and the second would fail on the key. One lock per batch, whatever its
    size, and never a deadlock; imports of other tenants never wait."""
    connection.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"{_LOCK_PREFIX}{tenant_id}"},
    )


def _stored(
    connection: Connection, ids: list[uuid.UUID], *, lock: bool
) -> dict[uuid.UUID, _Stored]:
    """The stored versions of these orders, locked until the batch commits if `lock`."""
    with _cursor(connection) as cursor:
        cursor.execute(_HEADS + (" FOR UPDATE" if lock else ""), [ids])
        heads = cursor.fetchall()
        items: dict[uuid.UUID, list[tuple[Any, ...]]] = {row[0]: [] for row in heads}
        if heads:
            cursor.execute(_LINES, [[row[0] for row in heads]])
            for row in cursor:
                items[row[0]].append(tuple(row[1:]))
    return {
        row[0]: _Stored(content=(tuple(row[2:]), tuple(items[row[0]])), source=row[1])
        for row in heads
    }


def _cursor(connection: Connection) -> psycopg.Cursor[tuple[Any, ...]]:
    """The driver's own cursor, in the batch's transaction: ids go to PostgreSQL as one
    binary array (%b), many times cheaper to send than a list of parameters or text."""
    driver = connection.connection.driver_connection
    assert driver is not None  # a live connection, inside its transaction
    cursor: psycopg.Cursor[tuple[Any, ...]] = driver.cursor()
    return cursor


def _copy(
    connection: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    """The rows (values in `columns`' order) into the table with one COPY, in the
    batch's transaction: an INSERT executed for many rows is still one per row."""
    # The names are the table's own columns (from the row builders), never the file's.
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    with _cursor(connection) as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def _order_row(order: Order, *, source: str, persisted_at: datetime) -> tuple[Any, ...]:
    """The order's row, in _ORDER_ROW_COLUMNS' order."""
    return (
        *_ORDER_VALUES(msgspec.structs.astuple(order)),
        item_count(order),
        # Its event id: an imported order has no event, and the column is unique. Its own
        # id is a version 5 UUID, which no submitted order's event id (random, version 4)
        # can equal.
        order.order_id,
        source,
        persisted_at,
    )


def _content(order: Order) -> tuple[Any, ...]:
    head = tuple(getattr(order, name) for name in _COMPARED)
    lines = tuple(tuple(getattr(item, name) for name in _ITEM_COMPARED) for item in order.items)
    return head, lines


def _items(order: Order) -> list[tuple[Any, ...]]:
    """The order's item rows, in _ITEM_COLUMNS' order."""
    return [
        (order.order_id, line_no, *msgspec.structs.astuple(item))
        for line_no, item in enumerate(order.items, start=1)
    ]
