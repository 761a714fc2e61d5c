"""Why a row of a file is rejected: each problem located and named by a stable code."""

from __future__ import annotations

import re
from collections.abc import Sequence

import msgspec

from conveyor_common.errors import FieldError
from conveyor_common.imports.model import RejectionCode

# msgspec's wording (conveyor_common.errors.field_error keeps it as the message).
_MISSING = re.compile(r"^Object missing required field")
_UNKNOWN = re.compile(r"^Object contains unknown field")
# "Expected `int`, got `str`" is the wrong type; "Expected `int` >= 1" a broken bound.
_WRONG_TYPE = re.compile(r"^Expected `[^`]+`, got `|^Invalid ")
_TOTAL_MISMATCH = re.compile(r"^is \S+ but the items add up to ")
_CURRENCY = "currency"


class Rejection(msgspec.Struct, frozen=True, kw_only=True):
    """One problem of one row; a row with several problems has several."""

    line: int
    order_ref: str
    field: str
    code: RejectionCode
    message: str


def rejection_code(error: FieldError) -> RejectionCode:
    """The code of a problem found by the order's decoder or its rules."""
    message = error.message
    if _MISSING.search(message):
        return RejectionCode.MISSING_FIELD
    if _UNKNOWN.search(message):
        return RejectionCode.UNKNOWN_FIELD
    if _WRONG_TYPE.search(message):
        return RejectionCode.TYPE_ERROR
    if error.field == _CURRENCY:
        return RejectionCode.UNKNOWN_CURRENCY
    if error.field == "totalAmount" and _TOTAL_MISMATCH.search(message):
        return RejectionCode.TOTAL_MISMATCH
    return RejectionCode.CONSTRAINT_ERROR


def every_line(
    problems: Sequence[Rejection], *, lines: Sequence[int], order_ref: str
) -> list[Rejection]:
    """The problems of a rejected order, and a row for each of its lines that has none of
    its own: every rejected line is in the report."""
    faulty = sorted({problem.line for problem in problems})
    named = ", ".join(str(line) for line in faulty)
    because = f"rejected with its order: see line{'s' if len(faulty) > 1 else ''} {named}"
    return [
        *problems,
        *(
            Rejection(
                line=line,
                order_ref=order_ref,
                field="",
                code=RejectionCode.ORDER_REJECTED,
                message=because,
            )
            for line in lines
            if line not in faulty
        ),
    ]
