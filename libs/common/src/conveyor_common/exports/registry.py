"""The resource registry: what can be exported, declared once per resource.

A declaration names the columns (label, type, SQL expression), the filters a
caller may use and the default order. Validation and SQL building work from
the declarations alone, so adding a resource is one `register(Resource(...))`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from conveyor_common.errors import FieldError, ValidationFailed
from conveyor_common.exports.model import ExportRequest
from conveyor_common.text import refuse_control_characters

MAX_FILTER_VALUES = 100
MAX_FILTER_TEXT = 256
# Integer filters are compared with PostgreSQL integers: bigint is the widest.
MIN_FILTER_INTEGER = -(2**63)
MAX_FILTER_INTEGER = 2**63 - 1


class ColumnType(StrEnum):
    TEXT = "text"
    UUID = "uuid"
    INTEGER = "integer"
    DECIMAL = "decimal"
    MONEY = "money"
    DATE = "date"
    DATETIME = "datetime"


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    type: ColumnType
    sql: str
    # Characters a spreadsheet column is sized for; text wider than this wraps or is cut.
    width: int = 16


class FilterKind(StrEnum):
    RANGE = "range"  # {"from": ..., "to": ...}: from inclusive, to exclusive
    ONE_OF = "one_of"  # a value or a list of values
    EQUALS = "equals"  # exactly one value


@dataclass(frozen=True)
class Filter:
    name: str
    kind: FilterKind
    sql: str
    type: ColumnType = ColumnType.TEXT
    # Codes stored upper-case (currencies) match however the caller spells them.
    upper_case: bool = False


@dataclass(frozen=True)
class Resource:
    name: str
    # FROM clause; every column and filter expression is written against it.
    source: str
    tenant_sql: str
    columns: tuple[Column, ...]
    filters: tuple[Filter, ...]
    default_order: str
    column_index: Mapping[str, Column] = field(init=False, repr=False)
    filter_index: Mapping[str, Filter] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "column_index", {c.name: c for c in self.columns})
        object.__setattr__(self, "filter_index", {f.name: f for f in self.filters})


@dataclass(frozen=True)
class Condition:
    """One filter, checked and typed: SQL with named placeholders and their values."""

    sql: str
    params: Mapping[str, Any]


@dataclass(frozen=True)
class ResolvedExport:
    resource: Resource
    columns: tuple[Column, ...]
    conditions: tuple[Condition, ...]


_REGISTRY: dict[str, Resource] = {}


def register(resource: Resource) -> Resource:
    if resource.name in _REGISTRY:
        raise ValueError(f"resource {resource.name!r} is registered twice")
    _REGISTRY[resource.name] = resource
    return resource


def resolve(
    request: ExportRequest, *, registry: Mapping[str, Resource] | None = None
) -> ResolvedExport:
    """Check a request against its resource; every problem is reported at once."""
    resources = _REGISTRY if registry is None else registry
    resource = resources.get(request.resource)
    if resource is None:
        known = ", ".join(sorted(resources))
        raise ValidationFailed([FieldError("resource", f"unknown resource; one of: {known}")])
    errors: list[FieldError] = []
    if request.title is not None:
        _append(errors, refuse_control_characters("title", request.title))
    columns = _columns(resource, request.columns, errors)
    conditions = []
    for index, (name, value) in enumerate(sorted(request.filters.items())):
        spec = resource.filter_index.get(name)
        if spec is None:
            known = ", ".join(f.name for f in resource.filters)
            errors.append(FieldError(f"filters.{name}", f"unknown filter; one of: {known}"))
            continue
        condition = _condition(spec, value, f"f{index}", errors)
        if condition is not None:
            conditions.append(condition)
    if errors:
        raise ValidationFailed(errors)
    return ResolvedExport(resource=resource, columns=columns, conditions=tuple(conditions))


def _append(errors: list[FieldError], error: FieldError | None) -> None:
    if error is not None:
        errors.append(error)


def _columns(
    resource: Resource, names: Sequence[str] | None, errors: list[FieldError]
) -> tuple[Column, ...]:
    if names is None:
        return resource.columns
    unknown = [name for name in names if name not in resource.column_index]
    if unknown:
        known = ", ".join(c.name for c in resource.columns)
        errors.append(FieldError("columns", f"unknown column(s) {unknown}; one of: {known}"))
    if len(set(names)) != len(names):
        errors.append(FieldError("columns", "must not repeat a column"))
    return tuple(resource.column_index[name] for name in names if name in resource.column_index)


def _condition(spec: Filter, value: Any, key: str, errors: list[FieldError]) -> Condition | None:
    field_name = f"filters.{spec.name}"
    if spec.kind is FilterKind.RANGE:
        if not isinstance(value, dict) or not value or set(value) - {"from", "to"}:
            errors.append(FieldError(field_name, 'must be an object with "from" and/or "to"'))
            return None
        parts, params = [], {}
        for bound, operator in (("from", ">="), ("to", "<")):
            if bound in value:
                parsed = _scalar(spec, value[bound], f"{field_name}.{bound}", errors)
                parts.append(f"{spec.sql} {operator} %({key}_{bound})s")
                params[f"{key}_{bound}"] = parsed
        low, high = params.get(f"{key}_from"), params.get(f"{key}_to")
        if low is not None and high is not None and low >= high:
            errors.append(FieldError(field_name, '"from" must be before "to"'))
        return Condition(" AND ".join(parts), params)
    values = value if isinstance(value, list) else [value]
    if spec.kind is FilterKind.EQUALS and len(values) != 1:
        errors.append(FieldError(field_name, "must be a single value"))
        return None
    if not values or len(values) > MAX_FILTER_VALUES:
        errors.append(FieldError(field_name, f"must have 1 to {MAX_FILTER_VALUES} values"))
        return None
    parsed = [_scalar(spec, item, field_name, errors) for item in values]
    return Condition(f"{spec.sql} = ANY(%({key})s)", {key: parsed})


def _scalar(spec: Filter, value: Any, field_name: str, errors: list[FieldError]) -> Any:
    kind = spec.type
    try:
        if kind is ColumnType.DATETIME:
            return _datetime(value)
        if kind is ColumnType.DATE:
            if not isinstance(value, str):
                raise ValueError
            return date.fromisoformat(value)
        if kind is ColumnType.INTEGER:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError
            if not MIN_FILTER_INTEGER <= value <= MAX_FILTER_INTEGER:
                raise ValueError
            return value
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_FILTER_TEXT:
            raise ValueError
        if refuse_control_characters(field_name, value) is not None:
            raise ValueError
        return value.strip().upper() if spec.upper_case else value.strip()
    except ValueError:
        errors.append(FieldError(field_name, f"must be {_describe(kind)}"))
        return None


def _datetime(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError
    parsed = datetime.fromisoformat(value)
    # A date-time without an offset is read as UTC. One with an offset is moved to UTC:
    # Python takes offsets PostgreSQL refuses (beyond ±15:59, or with seconds), and the
    # CSV export's COPY sends parameters as text. A moment outside years 1-9999 in UTC
    # raises OverflowError, which is a ValueError's kin here: refused.
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise ValueError from None


def _describe(kind: ColumnType) -> str:
    return {
        ColumnType.DATETIME: "an ISO 8601 date-time",
        ColumnType.DATE: "an ISO 8601 date",
        ColumnType.INTEGER: f"a whole number from {MIN_FILTER_INTEGER} to {MAX_FILTER_INTEGER}",
    }.get(
        kind,
        f"non-empty text of at most {MAX_FILTER_TEXT} characters, on one line, without "
        "control characters",
    )
