"""`conveyor files upload PATH [--validate]`: a file of orders imported (or, with
--validate, only checked) through the presigned path, with progress while it uploads and
while it is imported, then the outcome and the error report's link.

Exit status: 0 when the import completed (rejected rows included: the report lists
them), 3 when it FAILED or was CANCELLED, 1 when the command could not do its part
(the API or S3 refused or did not answer), 2 for a wrong command line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from conveyor_cli import output
from conveyor_cli.api import api_options, connected
from conveyor_cli.uploads import complete, presign, send_to_s3, wait_for_import
from conveyor_common.imports.model import ImportMode
from conveyor_common.progress import progress_bar
from conveyor_producer.imports.views import FileStatus

IMPORT_ENDED_BADLY = 3
DEFAULT_TIMEOUT_SECONDS = 600.0
_ENDED_BADLY = frozenset({FileStatus.FAILED, FileStatus.CANCELLED})


@click.group(name="files")
def files_group() -> None:
    """Files of orders to import."""


@files_group.command(name="upload")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--validate", is_flag=True, help="A dry run: the counts and report, no order.")
@click.option("--wait/--no-wait", default=True, help="Follow the import to its end.")
@click.option(
    "--timeout", type=click.FloatRange(min=0), default=DEFAULT_TIMEOUT_SECONDS, show_default=True
)
@api_options
@output.json_option
def upload(
    path: Path, validate: bool, wait: bool, timeout: float, api_url: str, token: str, as_json: bool
) -> None:
    """Upload a CSV, JSON or JSON Lines file of orders and import it."""
    mode = ImportMode.VALIDATE if validate else ImportMode.IMPORT
    with connected(api_url, token) as api:
        form = presign(api, path, mode=mode)
        size = path.stat().st_size
        with progress_bar(f"uploading {path.name}", length=size, show_pos=True) as bar:
            send_to_s3(form, path, on_position=bar.to)
        view: dict[str, Any] = complete(api, form)
        if wait:
            with progress_bar(f"{mode.value} {view['fileId']}", length=100) as bar:
                view = wait_for_import(
                    api, view["fileId"], timeout_seconds=timeout, on_progress=bar.to
                )
    click.echo(output.as_json(view) if as_json else outcome(view))
    if FileStatus(view["status"]) in _ENDED_BADLY:
        click.get_current_context().exit(IMPORT_ENDED_BADLY)


def outcome(view: dict[str, Any]) -> str:
    """What happened to the file, in a line or two: its counts, else why it failed."""
    file_id = view.get("id") or view.get("fileId")
    status = view["status"]
    validating = view.get("mode") == ImportMode.VALIDATE
    what, imported = ("validation", "valid") if validating else ("import", "imported")
    if "mode" not in view:
        return f"file {file_id}: {status}; `conveyor jobs show {file_id}` follows it"
    head = f"{what} of {view.get('originalName')} ({file_id}): {status}"
    if status == FileStatus.FAILED:
        return f"{head}: {view.get('errorMessage') or 'no reason given'}"
    counts = (
        f"{view.get('rowsTotal') or 0} row(s): {view.get('rowsImported') or 0} {imported}, "
        f"{view.get('rowsUnchanged') or 0} unchanged, {view.get('rowsRejected') or 0} rejected"
    )
    lines = [f"{head}, {counts}"]
    if view.get("errorReportUrl"):
        lines.append(f"error report: {view['errorReportUrl']}")
    return "\n".join(lines)
