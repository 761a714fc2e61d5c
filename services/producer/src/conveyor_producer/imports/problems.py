"""The files feature's failures as problem types."""

from __future__ import annotations

from conveyor_producer.http.problems import ProblemType, ProblemTypes
from conveyor_producer.imports.errors import (
    EmptyFile,
    FileFinished,
    FileNotFound,
    FileTooLarge,
    FormLimitExceeded,
    InvalidFileRequest,
    MalformedForm,
    MissingFile,
    RepeatedField,
    UnsupportedFileType,
    UploadExpired,
    UploadMismatch,
    UploadMissing,
)

FILE_PROBLEMS: ProblemTypes = {
    InvalidFileRequest: ProblemType(422, "validation-failed", "The request is not a valid upload"),
    MissingFile: ProblemType(400, "missing-file", "No file was uploaded"),
    MalformedForm: ProblemType(400, "malformed-form", "The body is no valid multipart form"),
    FormLimitExceeded: ProblemType(
        400, "form-limit-exceeded", "The form has too many parts or too long a part header"
    ),
    RepeatedField: ProblemType(400, "repeated-field", "A field of the form is sent twice"),
    EmptyFile: ProblemType(400, "empty-file", "The file is empty"),
    FileTooLarge: ProblemType(413, "file-too-large", "The file is too large to upload here"),
    UnsupportedFileType: ProblemType(
        415, "unsupported-file-type", "Only CSV, JSON and JSON Lines files are imported"
    ),
    FileNotFound: ProblemType(404, "file-not-found"),
    FileFinished: ProblemType(409, "import-finished", "The import has already finished"),
    UploadMissing: ProblemType(409, "upload-missing", "The file has not been uploaded yet"),
    UploadExpired: ProblemType(
        410, "upload-expired", "The presigned upload ended without being completed"
    ),
    UploadMismatch: ProblemType(
        422, "upload-mismatch", "The uploaded file is not the one declared"
    ),
}
