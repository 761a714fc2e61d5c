"""moto server, with the sent-mail endpoint LocalStack has.

The stack's tests and demo read what SES "sent". moto 5.2.5 offers that only inside
/moto-api/data.json, a dump of every model it holds, which answers HTTP 500 once an
S3 multipart upload has completed (a part's record has no bucket to report). So the
server runs here with one more read-only route, `GET /_aws/ses`, in LocalStack's
shape: the same reader then works against LocalStack by changing the URL alone.

    python -m conveyor_devstack.moto_process -H 127.0.0.1 -p 5000
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Iterable, Iterator
from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.ses.models import ses_backends
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    args = parser.parse_args()
    # moto builds some URLs it hands out (e.g. SNS subscription links) from this.
    os.environ.setdefault("MOTO_PORT", str(args.port))
    run_simple(
        args.host,
        args.port,
        with_sent_mail(DomainDispatcherApplication(create_backend_app)),
        threaded=True,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
