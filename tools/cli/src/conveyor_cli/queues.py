"""`conveyor queues`: each worker queue's depth, messages in flight, DLQ depth and
oldest message's age (conveyor_cli.queue_stats says where the age comes from)."""

from __future__ import annotations

import click

from conveyor_aws import clients
from conveyor_cli import output
from conveyor_cli.queue_stats import QueueStats, queue_stats
from conveyor_cli.worker_queues import worker_queues
from conveyor_common.clock import utc_now

HEADERS = ("QUEUE", "WAITING", "IN FLIGHT", "DELAYED", "OLDEST", "DLQ", "DLQ DEPTH", "DLQ OLDEST")


@click.command(name="queues")
@click.option("--queue", help="Only this queue; default: every worker's.")
@output.json_option
def queues_command(queue: str | None, as_json: bool) -> None:
    """Depth, in flight, DLQ depth and oldest age of the workers' queues."""
    sqs = clients.sqs()
    cloudwatch = clients.build("cloudwatch", clients.WORKER_PROFILE)
    try:
        stats = queue_stats(sqs, cloudwatch, [queue] if queue else worker_queues(), now=utc_now())
    except sqs.exceptions.QueueDoesNotExist as error:
        raise click.ClickException(str(error)) from error
    if as_json:
        click.echo(output.as_json([entry.as_json() for entry in stats]))
    else:
        click.echo(queues_table(stats))


def queues_table(stats: list[QueueStats]) -> str:
    return output.table(
        HEADERS,
        [
            [
                entry.name,
                entry.waiting,
                entry.in_flight,
                entry.delayed,
                output.age(entry.oldest_age_seconds),
                entry.dlq_name,
                entry.dlq_depth,
                output.age(entry.dlq_oldest_age_seconds),
            ]
            for entry in stats
        ],
    )
