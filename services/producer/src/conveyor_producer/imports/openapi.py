"""The upload route's multipart request body, as OpenAPI documents it.

The route reads its body itself (imports.form), so Litestar sees no body to document.
"""

from __future__ import annotations

from dataclasses import dataclass

from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody

from conveyor_common.imports.model import FileType, ImportMode
from conveyor_common.text import MAX_RECIPIENTS
from conveyor_producer.http.openapi import JsonSchema
from conveyor_producer.imports.form import FILE_FIELD

MULTIPART_MEDIA_TYPE = "multipart/form-data"
_TYPES = ", ".join(kind.content_type for kind in FileType)

UPLOAD_FORM_SCHEMA = {
    "type": "object",
    "required": [FILE_FIELD],
    "properties": {
        FILE_FIELD: {
            "type": "string",
            "format": "binary",
            "description": (
                f"The file of orders: {_TYPES} (or, declared application/octet-stream, "
                "text/plain or none, a .csv, .json, .ndjson or .jsonl name)."
            ),
        },
        "mode": {"type": "string", "enum": [mode.value for mode in ImportMode]},
        "notify": {
            "type": "string",
            "description": (
                f"At most {MAX_RECIPIENTS} e-mail addresses for the outcome, separated by "
                "commas; blank (or only commas) is the token's e-mail."
            ),
        },
    },
}

_UPLOAD_BODY = RequestBody(
    required=True,
    description="A file of orders, as a multipart form",
    content={
        MULTIPART_MEDIA_TYPE: OpenAPIMediaType(schema=JsonSchema(document=UPLOAD_FORM_SCHEMA))
    },
)


@dataclass
class UploadOperation(Operation):
    """The upload route's Operation, documenting its multipart body."""

    def __post_init__(self) -> None:
        self.request_body = _UPLOAD_BODY
