"""What an uploaded file may be, where it is kept, and why a row of it is rejected."""

from __future__ import annotations

import re
import unicodedata
import uuid
from enum import StrEnum

from conveyor_common.errors import FieldError
from conveyor_common.text import refuse_control_characters, refuse_format_characters

# Uploads through the API stream up to this; larger files take the presigned path.
DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# The presigned path's ceiling.
DEFAULT_MAX_PRESIGNED_BYTES = 1024 * 1024 * 1024
# Uploaded files, their error reports and their records live this long.
RETENTION_DAYS = 30
# Links in e-mails last as long as SigV4 allows.
EMAIL_LINK_TTL_SECONDS = 7 * 24 * 3600
API_LINK_TTL_SECONDS = 3600
# A presigned POST is accepted this long after it is issued (SigV4 allows up to 7 days)...
DEFAULT_PRESIGNED_POST_SECONDS = 3600
MAX_PRESIGNED_POST_SECONDS = 7 * 24 * 3600
# ...and `complete` still this long after that, for an upload that S3 accepted just before
# the deadline and that was still on its way (1 GiB takes about 15 minutes at 10 Mbit/s).
# Past both, an upload never completed has ended: FAILED, and never imported.
DEFAULT_PRESIGNED_GRACE_SECONDS = 15 * 60
MAX_FILE_NAME_LENGTH = 200
# The caller's order reference in a file: what makes a re-import the same order.
MAX_ORDER_REF_LENGTH = 64
# How many containers deep one order of a JSON file may nest. A valid order nests 3 deep
# (the order, its items, an item); up to this limit a wrongly shaped order is checked field
# by field by the order rules; anything deeper is rejected unread, which bounds the memory
# and time a hostile file can cost.
MAX_ORDER_NESTING = 8
ERROR_REPORT_NAME = "errors.csv"
# The file's name of the order reference (a CSV column, a JSON order's member).
ORDER_REF_FIELD = "orderId"
# Fixes the stored id of an imported order: the same reference of the same tenant is the
# same order whichever file brings it (never change it: re-imports would duplicate).
IMPORTED_ORDER_NAMESPACE = uuid.UUID("5b0c1d2e-8f3a-4c6b-9d7e-2a1f0e9c8b7a")


class ImportMode(StrEnum):
    IMPORT = "import"
    # A dry run: the same counts and error report, and no order written.
    VALIDATE = "validate"


class FileType(StrEnum):
    CSV = "csv"
    JSON = "json"
    NDJSON = "ndjson"

    @property
    def content_type(self) -> str:
        return _CONTENT_TYPES[self]

    @classmethod
    def from_content_type(cls, content_type: str) -> FileType | None:
        """The file type a Content-Type names (parameters ignored), or None."""
        media_type = content_type.split(";", 1)[0].strip().lower()
        return next((kind for kind, name in _CONTENT_TYPES.items() if name == media_type), None)


_CONTENT_TYPES = {
    FileType.CSV: "text/csv",
    FileType.JSON: "application/json",
    FileType.NDJSON: "application/x-ndjson",
}


class RejectionCode(StrEnum):
    """Why a row was rejected: a stable vocabulary, documented in the README."""

    MISSING_FIELD = "missing-field"
    TYPE_ERROR = "type-error"
    CONSTRAINT_ERROR = "constraint-error"
    UNKNOWN_CURRENCY = "unknown-currency"
    TOTAL_MISMATCH = "total-mismatch"
    DUPLICATE_ORDER = "duplicate-order"
    UNKNOWN_COLUMN = "unknown-column"
    BLANK_ROW = "blank-row"
    # A JSON order's member that the order has no field for.
    UNKNOWN_FIELD = "unknown-field"
    # A line with no problem of its own, rejected with the rest of its order (a CSV order
    # of several lines); the message names the lines that have the problems.
    ORDER_REJECTED = "order-rejected"


# The CSV layout: one line per order item; consecutive lines sharing orderId are one order.
CSV_COLUMNS = (
    "orderId",
    "customerId",
    "customerEmail",
    "customerName",
    "currency",
    "sku",
    "itemName",
    "quantity",
    "unitPrice",
    "totalAmount",
)
CSV_OPTIONAL_COLUMNS = frozenset({"customerName", "itemName", "totalAmount"})


# Cc, Cf, Cs, Co, Cn: control, format (bidi overrides, zero widths), surrogates, private
# use, unassigned; Zl, Zp: U+2028 and U+2029, which end a line in many readers.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
# Any Unicode whitespace (a no-break or ideographic space too) or dots at either end:
# a name of only those is blank, and "..", a trailing dot or space mislead file systems.
_BLANK_ENDS = re.compile(r"^[\s.]+|[\s.]+$")


def safe_file_name(original: str) -> str:
    """The uploaded name as a single path segment: no separators, no control, format,
    line or paragraph separator characters (nor surrogates, private or unassigned code
    points), no whitespace or dots at either end, bounded; 'upload' when nothing is left."""
    base = original.replace("\\", "/").rsplit("/", 1)[-1]
    kept = "".join(
        char
        for char in base
        if unicodedata.category(char) not in _DROPPED_CATEGORIES and char not in '<>:"|?*'
    )
    # Trimmed again after the cut, which may end the name on a space or a dot.
    return _trimmed(_trimmed(kept)[:MAX_FILE_NAME_LENGTH]) or "upload"


def _trimmed(name: str) -> str:
    return _BLANK_ENDS.sub("", name)


def upload_prefix(tenant_id: str, file_id: uuid.UUID) -> str:
    return f"uploads/{tenant_id}/{file_id}/"


def upload_key(tenant_id: str, file_id: uuid.UUID, file_name: str) -> str:
    return f"{upload_prefix(tenant_id, file_id)}{file_name}"


def error_report_key(tenant_id: str, file_id: uuid.UUID) -> str:
    return f"{upload_prefix(tenant_id, file_id)}{ERROR_REPORT_NAME}"


# The UUID version of imported_order_id's ids (uuid5), which no API order id has.
IMPORTED_ORDER_ID_VERSION = 5


def imported_order_id(tenant_id: str, order_ref: str) -> uuid.UUID:
    """The stored order_id of a file's order: one per tenant and reference, so that a
    re-import touches the same order and two tenants never share one."""
    return uuid.uuid5(IMPORTED_ORDER_NAMESPACE, f"{tenant_id}\x1f{order_ref}")


def is_imported_order_id(order_id: uuid.UUID) -> bool:
    """Whether an order id is an imported order's: those are name-based (version 5),
    while an order submitted over the API gets a random one (version 4)."""
    return order_id.version == IMPORTED_ORDER_ID_VERSION


def order_ref_errors(value: str) -> list[FieldError]:
    """What is wrong with a (trimmed) order reference: the text rules and its length."""
    problem = refuse_control_characters(ORDER_REF_FIELD, value) or refuse_format_characters(
        ORDER_REF_FIELD, value
    )
    if problem is not None:
        return [problem]
    if not value:
        return [FieldError(ORDER_REF_FIELD, "must not be blank")]
    if len(value) > MAX_ORDER_REF_LENGTH:
        return [FieldError(ORDER_REF_FIELD, f"must be at most {MAX_ORDER_REF_LENGTH} characters")]
    return []
