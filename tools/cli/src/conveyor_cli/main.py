"""`conveyor`: the operator's command.

    conveyor queues [--queue Q] [--json]
    conveyor dlq show [--queue Q] [--event-type T] [--json]
    conveyor dlq redrive [--queue Q] [--event-type T]
    conveyor jobs show ID [--kind export|import] [--json]
    conveyor jobs list --kind export|import [--status S] [--page N] [--limit N] [--json]
    conveyor files upload PATH [--validate] [--no-wait] [--json]
    conveyor token --sub S --tenant T [--roles R] [--ttl SECONDS] [--email E] [--json]

`queues` and `dlq` reach AWS as the services do (AWS_REGION, AWS_ENDPOINT_URL, the
queue names PROCESSOR_QUEUE and NOTIFIER_QUEUE); `jobs` and `files` are clients of the
producer's REST API (CONVEYOR_API_URL, CONVEYOR_TOKEN); `token` signs with JWT_SECRET.
Output is text for people; --json prints one JSON document instead. Progress bars go
to stderr.
"""

from __future__ import annotations

import click

from conveyor_cli.dead_letters import dlq_group
from conveyor_cli.files import files_group
from conveyor_cli.jobs import jobs_group
from conveyor_cli.queues import queues_command
from conveyor_cli.token import token_command


@click.group()
def cli() -> None:
    """Conveyor operations."""


for command in (queues_command, dlq_group, jobs_group, files_group, token_command):
    cli.add_command(command)


if __name__ == "__main__":
    cli()
