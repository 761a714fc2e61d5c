"""`conveyor jobs show ID` and `conveyor jobs list --kind export|import [--status S]`:
exports and imports as the API shows them to the token's caller."""

from __future__ import annotations

import uuid
from typing import Any

import click

from conveyor_cli import output
from conveyor_cli.api import Api, ApiError, api_options, connected
from conveyor_cli.job_kinds import KINDS, STATUS_NAMES, JobKind, job_status
from conveyor_producer.jobs.rules import DEFAULT_PAGE_SIZE, MAX_PAGE, MAX_PAGE_SIZE

NOT_FOUND = 404


@click.group(name="jobs")
def jobs_group() -> None:
    """Exports and imports, through the producer's API."""


@jobs_group.command(name="show")
@click.argument("job_id", type=click.UUID)
@click.option(
    "--kind",
    type=click.Choice(list(KINDS)),
    help="The job's kind; default: an export, else an import.",
)
@api_options
@output.json_option
def show_job(job_id: uuid.UUID, kind: str | None, api_url: str, token: str, as_json: bool) -> None:
    """One job's state, counts and links."""
    with connected(api_url, token) as api:
        found, view = read_job(api, job_id, kinds=[KINDS[kind]] if kind else list(KINDS.values()))
    shown = {"kind": found.name, **view}
    if as_json:
        click.echo(output.as_json(shown))
    else:
        click.echo(output.fields(found.detail_lines(shown)))


@jobs_group.command(name="list")
@click.option("--kind", type=click.Choice(list(KINDS)), required=True)
@click.option(
    "--status",
    type=click.Choice(STATUS_NAMES, case_sensitive=False),
    help="Only jobs in this state (PENDING and QUEUED are the same).",
)
@click.option("--page", type=click.IntRange(1, MAX_PAGE), default=1, show_default=True)
@click.option(
    "--limit", type=click.IntRange(1, MAX_PAGE_SIZE), default=DEFAULT_PAGE_SIZE, show_default=True
)
@api_options
@output.json_option
def list_jobs(
    kind: str, status: str | None, page: int, limit: int, api_url: str, token: str, as_json: bool
) -> None:
    """The caller's jobs of one kind (an admin's: the tenant's), newest first."""
    job_kind = KINDS[kind]
    wanted = job_kind.status_name(job_status(status)) if status else None
    with connected(api_url, token) as api:
        listed = api.get(job_kind.path, status=wanted, page=page, limit=limit)
    if as_json:
        click.echo(output.as_json(listed))
        return
    items: list[dict[str, Any]] = listed["items"]
    headers = [header for header, _ in job_kind.columns]
    click.echo(output.table(headers, [job_kind.row(item) for item in items]))
    click.echo(page_line(page=listed["page"], limit=listed["limit"], total=listed["total"]))


def read_job(api: Api, job_id: uuid.UUID, *, kinds: list[JobKind]) -> tuple[JobKind, Any]:
    """The first kind that knows the id, with its view; not found in any is an error."""
    for kind in kinds:
        try:
            return kind, api.get(f"{kind.path}/{job_id}")
        except ApiError as error:
            if error.status != NOT_FOUND:
                raise
    names = " or ".join(kind.name for kind in kinds)
    raise click.ClickException(f"no {names} {job_id} is visible to this token")


def page_line(*, page: int, limit: int, total: int) -> str:
    pages = max((total + limit - 1) // limit, 1)
    return f"page {page} of {pages} ({total} job(s) in all)"
