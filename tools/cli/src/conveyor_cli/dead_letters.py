"""`conveyor dlq show|redrive`: what is parked in the workers' dead-letter queues, and
sending it back (conveyor_aws.dlq does the work)."""

from __future__ import annotations

import click

from conveyor_aws import clients, dlq
from conveyor_cli import output
from conveyor_cli.worker_queues import worker_queues


def _pairs(queue: str | None) -> list[dlq.QueuePair]:
    sqs = clients.sqs()
    try:
        return [dlq.queue_pair(sqs, name) for name in ([queue] if queue else worker_queues())]
    except (dlq.NotADeadLetterSource, sqs.exceptions.QueueDoesNotExist) as error:
        raise click.ClickException(str(error)) from error


@click.group(name="dlq")
def dlq_group() -> None:
    """Inspect and redrive the dead-letter queues."""


@dlq_group.command()
@click.option("--queue", help="A worker queue (or its DLQ); default: every worker's.")
@click.option("--event-type", help="Only messages of this event type.")
@output.json_option
def show(queue: str | None, event_type: str | None, as_json: bool) -> None:
    """List what is parked in each DLQ, without consuming it."""
    report = {
        pair.dlq_name: dlq.peek(clients.sqs(), pair, event_type=event_type)
        for pair in _pairs(queue)
    }
    if as_json:
        document = {
            name: {"count": len(letters), "messages": [letter.as_json() for letter in letters]}
            for name, letters in report.items()
        }
        click.echo(output.as_json(document))
        return
    for name, letters in report.items():
        click.echo(f"{name}: {len(letters)} message(s)")
        for letter in letters:
            click.echo(
                f"  {letter.event_type or '?'}  {letter.event_id or '-'}  "
                f"receives={letter.receive_count}  {letter.reason or '(no reason recorded)'}"
            )


@dlq_group.command()
@click.option("--queue", help="A worker queue (or its DLQ); default: every worker's.")
@click.option("--event-type", help="Only messages of this event type.")
def redrive(queue: str | None, event_type: str | None) -> None:
    """Send parked messages back to the queue they came from, each once."""
    for pair in _pairs(queue):
        result = dlq.redrive(clients.sqs(), pair, event_type=event_type)
        if result.task_handle is not None:
            click.echo(f"{pair.dlq_name} -> {pair.name}: SQS move task {result.task_handle}")
        else:
            click.echo(
                f"{pair.dlq_name} -> {pair.name}: moved {result.moved}, "
                f"dropped {result.duplicates} duplicate(s)"
            )
