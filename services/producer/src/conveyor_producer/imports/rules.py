"""Import rules, pure: which files are imported, and whom the outcome is told. Who
may see a job and how deep a listing pages are every job's (jobs.rules)."""

from __future__ import annotations

import posixpath
from collections.abc import Sequence

from conveyor_common.errors import FieldError
from conveyor_common.imports.model import FileType, ImportMode
from conveyor_producer.imports.errors import InvalidFileRequest, UnsupportedFileType
from conveyor_producer.jobs.rules import email_addresses
from conveyor_producer.principal import Principal

# The exporter role's name (a feature imports no other feature): uploading or cancelling
# takes IMPORTER_ROLE or admin, since an import writes orders as the exporter role reads them.
IMPORTER_ROLE = "exporter"
# Declared types that say nothing of the content: only these (and none at all) fall
# back on the name's extension. curl sends application/octet-stream, browsers text/plain
# for .ndjson and, on Windows with Excel installed, application/vnd.ms-excel for .csv.
# Any other type is what the client says the file is, and it is not ours: 415.
GENERIC_CONTENT_TYPES = frozenset(
    {"", "application/octet-stream", "text/plain", "application/vnd.ms-excel"}
)
_EXTENSIONS = {".csv": FileType.CSV, ".json": FileType.JSON, ".ndjson": FileType.NDJSON}
_EXTENSIONS[".jsonl"] = FileType.NDJSON


def file_type_of(content_type: str | None, file_name: str) -> FileType:
    """The declared content type decides; a generic or missing one falls back on the
    extension. Anything else is refused (415)."""
    declared = FileType.from_content_type(content_type or "")
    if declared is not None:
        return declared
    by_extension = _EXTENSIONS.get(posixpath.splitext(file_name.lower())[1])
    if by_extension is None or not _is_generic(content_type):
        raise UnsupportedFileType(
            f"{content_type or 'no content type'} ({file_name!r}) is not CSV, JSON or JSON Lines"
        )
    return by_extension


def _is_generic(content_type: str | None) -> bool:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return media_type in GENERIC_CONTENT_TYPES


def import_mode(raw: str | None) -> ImportMode:
    if raw is None or raw == "":
        return ImportMode.IMPORT
    try:
        return ImportMode(raw.strip().lower())
    except ValueError:
        choices = ", ".join(mode.value for mode in ImportMode)
        raise InvalidFileRequest([FieldError("mode", f"must be one of {choices}")]) from None


def recipients(requested: Sequence[str] | None, principal: Principal) -> tuple[str, ...]:
    """Whom the outcome is e-mailed to: those asked for, else the token's own address
    (none when the token has none: the outcome is then only read back)."""
    if requested is None:
        requested = [principal.email] if principal.email else []
    return email_addresses(requested, invalid=InvalidFileRequest)


def notify_field(raw: str | None) -> list[str] | None:
    """The form's `notify`: addresses separated by commas. Absent, blank or only
    commas is None (not given: the token's address is told), never an empty list."""
    if raw is None:
        return None
    return [part for part in raw.split(",") if part.strip()] or None
