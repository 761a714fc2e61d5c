"""A file's order -> the stored Order, by exactly the rules of POST /api/v1/orders;
or the problems that reject it, each located in the file."""

from __future__ import annotations

import re
from datetime import datetime

import msgspec

from conveyor_common.errors import FieldError, ValidationFailed
from conveyor_common.imports.model import (
    ORDER_REF_FIELD,
    RejectionCode,
    imported_order_id,
    order_ref_errors,
)
from conveyor_common.orders import Order, decode_order_request, normalise_order
from conveyor_common.text import composed
from conveyor_processor.imports.file_order import FileOrder
from conveyor_processor.imports.rejections import Rejection, rejection_code

_ITEM_PATH = re.compile(r"^items\[(?P<index>\d+)\]\.(?P<leaf>.+)$")


def to_order(read: FileOrder, *, tenant_id: str, uploaded_at: datetime) -> Order | list[Rejection]:
    """The order, or every problem found: the reference's, the reader's and the order's."""
    # One reference, so one order, however its accents came (as the API's identifiers).
    ref = composed(read.order_ref.strip())
    problems = [*_ref_problems(read, ref), *read.problems]
    if read.request is None:
        return problems
    try:
        request = decode_order_request(read.request)
        order = normalise_order(
            request,
            order_id=imported_order_id(tenant_id, ref),
            tenant_id=tenant_id,
            submitted_at=uploaded_at,
        )
    except ValidationFailed as exc:
        problems.extend(locate(read, error) for error in exc.errors)
    except msgspec.DecodeError as exc:
        problems.append(_rejection(read, read.line, "", RejectionCode.TYPE_ERROR, str(exc)))
    return problems or order


def locate(read: FileOrder, error: FieldError) -> Rejection:
    """A problem of the order at the line and under the name the file gave its field."""
    line, name = read.line, error.field
    item = _ITEM_PATH.match(error.field)
    if read.item_lines:
        if item is not None:
            index = int(item["index"])
            line = read.item_lines[min(index, len(read.item_lines) - 1)]
            name = item["leaf"]
        name = read.columns.get(name, name)
    return _rejection(read, line, name, rejection_code(error), error.message)


def _ref_problems(read: FileOrder, ref: str) -> list[Rejection]:
    if any(problem.field == ORDER_REF_FIELD for problem in read.problems):
        return []  # the reader found it (not text, say)
    if not read.order_ref and read.request is not None:
        missing = FieldError(ORDER_REF_FIELD, f"Object missing required field `{ORDER_REF_FIELD}`")
        return [locate(read, missing)]
    if read.request is None:
        return []
    return [locate(read, error) for error in order_ref_errors(ref)]


def _rejection(
    read: FileOrder, line: int, field: str, code: RejectionCode, message: str
) -> Rejection:
    return Rejection(line=line, order_ref=read.order_ref, field=field, code=code, message=message)
