"""SQL for an export, built from the registry's declarations.

Identifiers and expressions come only from code (the declarations); every value
a caller sent is a bound parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conveyor_common.cells import escape_formula_sql
from conveyor_common.exports.registry import Column, ColumnType, ResolvedExport

# ISO 8601 in UTC to the second, the same text whichever time zone and DateStyle the
# session has: jsonb always writes times as ISO 8601. About half to_char's cost per cell.
_UTC_ISO = "(to_jsonb(date_trunc('second', {} AT TIME ZONE 'UTC')) #>> '{{}}') || 'Z'"


@dataclass(frozen=True)
class Query:
    sql: str
    params: dict[str, Any]


def _where(export: ResolvedExport, tenant_id: str) -> tuple[str, dict[str, Any]]:
    clauses = [f"{export.resource.tenant_sql} = %(tenant_id)s"]
    params: dict[str, Any] = {"tenant_id": tenant_id}
    for condition in export.conditions:
        clauses.append(f"({condition.sql})")
        params.update(condition.params)
    return " AND ".join(clauses), params


def count_query(export: ResolvedExport, *, tenant_id: str) -> Query:
    where, params = _where(export, tenant_id)
    return Query(f"SELECT count(*) FROM {export.resource.source} WHERE {where}", params)


def select_query(export: ResolvedExport, *, tenant_id: str) -> Query:
    """Typed values for writers that format cells themselves (XLSX, PDF)."""
    columns = ", ".join(column.sql for column in export.columns)
    return _select(export, tenant_id, columns)


def copy_query(export: ResolvedExport, *, tenant_id: str) -> Query:
    """`COPY … TO STDOUT (FORMAT csv, HEADER)`: labels as the header, text escaped
    against formula injection, times as ISO 8601 UTC; numbers untouched."""
    columns = ", ".join(
        f"{_as_csv_text(column)} AS {_quote_identifier(column.label)}" for column in export.columns
    )
    select = _select(export, tenant_id, columns)
    return Query(f"COPY ({select.sql}) TO STDOUT (FORMAT csv, HEADER)", select.params)


def _select(export: ResolvedExport, tenant_id: str, columns: str) -> Query:
    where, params = _where(export, tenant_id)
    resource = export.resource
    return Query(
        f"SELECT {columns} FROM {resource.source} WHERE {where} ORDER BY {resource.default_order}",
        params,
    )


def _as_csv_text(column: Column) -> str:
    if column.type is ColumnType.TEXT:
        return escape_formula_sql(column.sql)
    if column.type is ColumnType.DATETIME:
        return _UTC_ISO.format(column.sql)
    return column.sql


def _quote_identifier(label: str) -> str:
    return '"' + label.replace('"', '""') + '"'
