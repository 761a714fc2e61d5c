"""What callers send: the body of POST /api/v1/files (a presigned upload), and its example."""

from __future__ import annotations

from typing import Annotated

import msgspec

from conveyor_common.imports.model import MAX_FILE_NAME_LENGTH, ImportMode
from conveyor_common.text import MAX_RECIPIENTS
from conveyor_producer.http.request_body import decode_request
from conveyor_producer.imports.errors import InvalidFileRequest


class PresignedUploadRequest(
    msgspec.Struct, frozen=True, kw_only=True, rename="camel", forbid_unknown_fields=True
):
    """A file to upload straight to S3: its name, type, exact size and import mode."""

    # Longer names are cut to MAX_FILE_NAME_LENGTH; a path is cut to its last segment.
    file_name: Annotated[str, msgspec.Meta(min_length=1, max_length=4 * MAX_FILE_NAME_LENGTH)]
    content_type: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    # At most the presigned limit (PRESIGNED_MAX_BYTES, 1 GiB by default; 422 beyond it).
    size_bytes: Annotated[int, msgspec.Meta(ge=1)]
    mode: ImportMode = ImportMode.IMPORT
    # Defaults to the e-mail claim of the token.
    notify: Annotated[list[str], msgspec.Meta(max_length=MAX_RECIPIENTS)] | None = None


PRESIGNED_EXAMPLE = {
    "fileName": "orders-2026-05.csv",
    "contentType": "text/csv",
    "sizeBytes": 52_428_800,
    "mode": "import",
}

_decoder = msgspec.json.Decoder(PresignedUploadRequest)


def decode_presigned_request(body: bytes) -> PresignedUploadRequest:
    """400 for broken JSON, 422 (InvalidFileRequest) for JSON that is no such request."""
    return decode_request(body, _decoder, invalid=InvalidFileRequest)
