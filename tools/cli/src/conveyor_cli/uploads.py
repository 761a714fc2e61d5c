"""A file of orders through the presigned path: ask the API for an S3 POST policy,
stream the file to S3 (never whole in memory), complete it, and follow its import.

The API decides the file's type from its name (it is declared as a generic type), so
the CLI keeps no copy of that rule; S3 binds the upload to the type the policy names.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import httpx

from conveyor_cli.api import Api, ApiError
from conveyor_common.imports.model import ImportMode
from conveyor_producer.imports.views import FILES_PATH, FileStatus

# Declared so that the API types the file by its extension (.csv, .json, .ndjson, .jsonl).
GENERIC_CONTENT_TYPE = "application/octet-stream"
# S3 answers once it has stored the whole body; a large file takes a while to send.
S3_TIMEOUT = httpx.Timeout(120.0, connect=10.0)
POLL_SECONDS = 0.5


class ReportingFile(io.FileIO):
    """A file opened for reading that tells how far it has been read; httpx streams a
    multipart file part by reading it in chunks, so this is how far the upload got."""

    def __init__(self, path: Path, on_position: Callable[[int], None]) -> None:
        super().__init__(path, "rb")
        self._on_position = on_position

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self._on_position(self.tell())
        return chunk or b""


def presign(api: Api, path: Path, *, mode: ImportMode) -> dict[str, Any]:
    body = {
        "fileName": path.name,
        "contentType": GENERIC_CONTENT_TYPE,
        "sizeBytes": path.stat().st_size,
        "mode": mode.value,
    }
    answer: dict[str, Any] = api.post(FILES_PATH, json=body)
    return answer


def send_to_s3(upload: dict[str, Any], path: Path, *, on_position: Callable[[int], None]) -> None:
    """POST the form S3 expects: every field of the policy first, then the file."""
    fields: dict[str, str] = upload["fields"]
    content_type = fields.get("Content-Type", GENERIC_CONTENT_TYPE)
    with ReportingFile(path, on_position) as file:
        try:
            response = httpx.post(
                upload["url"],
                data=fields,
                files={"file": (path.name, file, content_type)},
                timeout=S3_TIMEOUT,
            )
        except httpx.HTTPError as error:
            raise click.ClickException(f"the upload to S3 failed: {error}") from error
    if response.is_error:
        raise click.ClickException(
            f"S3 refused the upload: {response.status_code} {response.text[:300]}"
        )


def complete(api: Api, upload: dict[str, Any]) -> dict[str, Any]:
    # Completing again answers the same, so a 503 is retried.
    answer: dict[str, Any] = api.post(upload["links"]["complete"], idempotent=True)
    return answer


def wait_for_import(
    api: Api, file_id: str, *, timeout_seconds: float, on_progress: Callable[[int], None]
) -> dict[str, Any]:
    """The file's view once its import ended (COMPLETED, FAILED or CANCELLED)."""
    deadline = time.monotonic() + timeout_seconds
    while True:
        view: dict[str, Any] = api.get(f"{FILES_PATH}/{file_id}")
        on_progress(view.get("progressPercentage") or 0)
        if FileStatus(view["status"]).job_status.is_terminal:
            return view
        if time.monotonic() > deadline:
            raise ApiError(
                f"file {file_id} is still {view['status']} after {timeout_seconds:.0f} s; "
                f"`conveyor jobs show {file_id}` tells how it ends"
            )
        time.sleep(POLL_SECONDS)
