"""Why a row of a file is rejected: each problem located and named by a stable code."""

from __future__ import annotations

import re

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
