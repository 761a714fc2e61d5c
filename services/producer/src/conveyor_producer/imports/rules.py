"""Import rules, pure: who may see an upload, which files are imported, whom the
outcome is told, and how deep a listing pages."""

from __future__ import annotations

import posixpath
from collections.abc import Sequence

from conveyor_common.errors import FieldError
from conveyor_common.imports.model import FileType, ImportMode
from conveyor_common.text import to_email_address
from conveyor_producer.imports.errors import InvalidFileRequest, UnsupportedFileType
from conveyor_producer.principal import Principal

# The same roles as exports (a feature imports no other feature): holders of ADMIN_ROLE
# see every upload of their tenant; uploading or cancelling takes IMPORTER_ROLE or admin,
# since an import writes orders as the exporter role reads them.
ADMIN_ROLE = "admin"
IMPORTER_ROLE = "exporter"
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# As for exports: deeper pages cost a long OFFSET scan, and the OFFSET must fit a bigint.
MAX_PAGE = 10_000
# Extensions tell the type when the client declared none of ours (curl sends
# application/octet-stream, browsers text/plain for .ndjson).
_EXTENSIONS = {".csv": FileType.CSV, ".json": FileType.JSON, ".ndjson": FileType.NDJSON}
_EXTENSIONS[".jsonl"] = FileType.NDJSON


def is_visible(principal: Principal, *, tenant_id: str, requested_by: str) -> bool:
    """Own uploads, or any of the tenant's for admins; never another tenant's."""
    if tenant_id != principal.tenant:
        return False
    return requested_by == principal.sub or principal.has_role(ADMIN_ROLE)


def listed_requester(principal: Principal) -> str | None:
    """Whose uploads a listing shows: the caller's own, or (None) everyone's for admins."""
    return None if principal.has_role(ADMIN_ROLE) else principal.sub


def file_type_of(content_type: str | None, file_name: str) -> FileType:
    """The declared content type decides; a generic or missing one falls back on the
    extension. Anything else is refused (415)."""
    declared = FileType.from_content_type(content_type or "")
    if declared is not None:
        return declared
    by_extension = _EXTENSIONS.get(posixpath.splitext(file_name.lower())[1])
    if by_extension is None:
        raise UnsupportedFileType(
            f"{content_type or 'no content type'} ({file_name!r}) is not CSV, JSON or JSON Lines"
        )
    return by_extension


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
    addresses: list[str] = []
    errors: list[FieldError] = []
    for index, raw in enumerate(requested):
        try:
            address = to_email_address(raw)
        except ValueError as exc:
            errors.append(FieldError(f"notify[{index}]", str(exc)))
            continue
        if address not in addresses:
            addresses.append(address)
    if errors:
        raise InvalidFileRequest(errors)
    return tuple(addresses)


def notify_field(raw: str | None) -> list[str] | None:
    """The form's `notify`: addresses separated by commas; absent or blank is None."""
    if raw is None or not raw.strip():
        return None
    return [part for part in raw.split(",") if part.strip()]
