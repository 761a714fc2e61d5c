"""moto server, with the sent-mail endpoint LocalStack has.

The stack's tests and demo read what SES "sent". moto 5.2.5 offers that only inside
/moto-api/data.json, a dump of every model it holds, which answers HTTP 500 once an
S3 multipart upload has completed (a part's record has no bucket to report). So the
server runs here with one more read-only route, `GET /_aws/ses`, in LocalStack's
shape: the same reader then works against LocalStack by changing the URL alone.

Once IAM is enforced (MotoServer.enforce_iam), moto 5.2 authorises SNS, DynamoDB and
SES calls and sqs:GetQueueUrl against resource `*`, so a grant scoped to the real ARN
is refused. Here each of them is authorised against the ARN IAM checks: the topic,
the table, the sender identity, the queue named. Nothing else changes: the resource
is only read for authorisation, and while IAM is not enforced it is not read at all.

Costs moto pays again on every call are taken out, so that the emulator spends its one
core on the calls themselves (see `lighten`): werkzeug's log line per request (written
to a stream the stack discards); two lookups whose answers never change while it runs
(its service packages, listed from disk to route a request, and a response class's
methods, found by introspection to dispatch it); the retention check, which rebuilt
every attribute of a queue, counting its messages, once per message received; and
SQS's reading of the clock, through two datetimes and their difference, for every
message each time its visibility is checked (each message of the queue, several times
per message sent to it).

    python -m conveyor_devstack.moto_process -H 127.0.0.1 -p 5000
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import os
import time
from collections.abc import Iterable, Iterator
from datetime import datetime
from email.utils import parseaddr
from typing import Any

import moto.backends
import moto.core.responses
import moto.sqs.models
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.core.utils import method_names_from_class, unix_time, unix_time_millis
from moto.dynamodb.responses import DynamoHandler
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.ses.models import ses_backends
from moto.ses.responses import EmailResponse
from moto.sns.responses import SNSResponse
from moto.sqs.exceptions import QueueDoesNotExist
from moto.sqs.models import Message, SQSBackend
from moto.sqs.responses import SQSResponse
from werkzeug.serving import run_simple
from werkzeug.wrappers import Request, Response

SENT_MAIL_PATH = "/_aws/ses"


def sent_messages() -> Iterator[dict[str, Any]]:
    """Every e-mail SES 'sent', in the order sent, as LocalStack lists them."""
    for region, backend in ses_backends[DEFAULT_ACCOUNT_ID].items():
        for message in backend.sent_messages:
            if not hasattr(message, "destinations"):
                continue  # raw and templated e-mails: Conveyor sends neither
            yield {
                "Id": message.id,
                "Region": region,
                "Source": message.source,
                "Destination": message.destinations,
                "Subject": message.subject,
                # moto keeps one body: the HTML part when there is one.
                "Body": {"html_part": message.body, "text_part": None},
            }


def with_sent_mail(app: Any) -> Any:
    """The WSGI app, answering SENT_MAIL_PATH itself and passing on everything else."""

    def wsgi(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        if request.method == "GET" and request.path == SENT_MAIL_PATH:
            body = json.dumps({"messages": list(sent_messages())})
            response = Response(body, mimetype="application/json")
            return response(environ, start_response)
        return app(environ, start_response)  # type: ignore[no-any-return]

    return wsgi


def _arn(response: Any, service: str, resource: str) -> str:
    return f"arn:aws:{service}:{response.region}:{response.current_account}:{resource}"


def _topic(response: Any) -> str:
    return str(response._get_param("TopicArn") or "*")


def _table(response: Any) -> str:
    # A batch names its tables in RequestItems; one to several tables is checked
    # against `*`, which a grant scoped to a table refuses (Conveyor's name one).
    tables = list(response._get_param("RequestItems") or {})
    name = response._get_param("TableName") or (tables[0] if len(tables) == 1 else None)
    return _arn(response, "dynamodb", f"table/{name}") if name else "*"


def _sender_identity(response: Any) -> str:
    source = response._get_param("Source")
    return _arn(response, "ses", f"identity/{parseaddr(source)[1]}") if source else "*"


_queue_resource = SQSResponse._determine_resource


def _queue(response: Any) -> str:
    name = response._get_param("QueueName") if response._get_action() == "GetQueueUrl" else None
    if not name:
        return _queue_resource(response)
    try:
        return str(response.sqs_backend.get_queue(name).queue_arn)
    except QueueDoesNotExist:
        return "*"


def authorise_real_arns() -> None:
    """moto asks each response class for the resource to authorise (see the docstring)."""
    SNSResponse._determine_resource = _topic  # type: ignore[attr-defined]
    DynamoHandler._determine_resource = _table  # type: ignore[attr-defined]
    EmailResponse._determine_resource = _sender_identity  # type: ignore[attr-defined]
    SQSResponse._determine_resource = _queue  # type: ignore[method-assign,assignment]


def retained(backend: SQSBackend, queue_name: str, message: Message) -> bool:
    """moto's rule (a message older than its queue's retention period is gone), reading
    the one attribute it needs: moto computed all of them, counting the queue's messages,
    for each message a receive returns, so a receive cost the square of the queue's depth."""
    # Set from the queue's attributes at run time, so unknown to the type checker.
    period = backend.get_queue(queue_name).message_retention_period  # type: ignore[attr-defined]
    return float(period) + message.sent_timestamp / 1000 > unix_time()  # type: ignore[operator]


def now_seconds(dt: datetime | None = None) -> float:
    """moto's unix_time: for now, read from the clock rather than built from datetimes."""
    return time.time() if dt is None else unix_time(dt)


def now_millis(dt: datetime | None = None) -> float:
    """moto's unix_time_millis, likewise."""
    return time.time() * 1_000 if dt is None else unix_time_millis(dt)


def lighten() -> None:
    """The per-call costs of the module docstring, gone."""
    # Warnings and errors are still logged.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    modules = tuple(moto.backends.list_of_moto_modules())
    moto.backends.list_of_moto_modules = lambda: modules
    # Imported by name there: the name the dispatcher calls is replaced.
    moto.core.responses.method_names_from_class = functools.cache(method_names_from_class)  # type: ignore[attr-defined]
    SQSBackend.is_message_valid_based_on_retention_period = retained  # type: ignore[method-assign,assignment]
    # Imported by name there too; each visibility check of each message reads the clock.
    moto.sqs.models.unix_time = now_seconds  # type: ignore[attr-defined]
    moto.sqs.models.unix_time_millis = now_millis  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    args = parser.parse_args()
    # moto builds some URLs it hands out (e.g. SNS subscription links) from this.
    os.environ.setdefault("MOTO_PORT", str(args.port))
    authorise_real_arns()
    lighten()
    run_simple(
        args.host,
        args.port,
        with_sent_mail(DomainDispatcherApplication(create_backend_app)),
        threaded=True,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
