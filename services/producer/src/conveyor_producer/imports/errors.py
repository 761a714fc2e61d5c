"""The files feature's failures, free of HTTP: problems.py maps each to a status."""

from __future__ import annotations

from conveyor_common.errors import ValidationFailed


class InvalidFileRequest(ValidationFailed):
    """A presigned-upload request (or an upload's form field) of the wrong shape."""


class MissingFile(ValueError):
    """The multipart form has no `file` part with a file name."""


class MalformedForm(ValueError):
    """The body is no valid multipart form."""


class FormLimitExceeded(MalformedForm):
    """The form has more parts than an upload needs, or a part's header is too long."""


class RepeatedField(MalformedForm):
    """A field the upload reads (`file`, `mode`, `notify`) is in the form twice."""

    def __init__(self, field: str) -> None:
        super().__init__(f"the form has more than one {field!r} field: send it once")
        self.field = field


class EmptyFile(ValueError):
    """The uploaded file holds no byte."""


class FileTooLarge(ValueError):
    """The upload exceeds the limit of the streamed path."""


class UnsupportedFileType(ValueError):
    """Neither CSV, JSON nor JSON Lines, by the declared type or the file's extension."""


class FileNotFound(LookupError):
    """No such file visible to the caller (another user's or tenant's is not found either)."""


class FileFinished(ValueError):
    """The import completed, failed or was cancelled already: it can no longer be
    cancelled, nor, if it ended before its file was completed, completed."""


class UploadMissing(ValueError):
    """`complete` was called before the presigned upload stored the object."""


class UploadMismatch(ValidationFailed):
    """The stored object is not what the presigned request declared (size or type)."""


class UploadExpired(ValueError):
    """`complete` after the presigned upload's window closed with nothing completed."""
