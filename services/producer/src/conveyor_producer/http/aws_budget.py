"""One time budget for all the AWS calls a request makes, so its caller hears back quickly.

Each call's own timeouts (the API client profile) bound one call; a request makes
several in a row (a keyed export: find the key, claim it, record the export, publish,
mark the key published), and their timeouts would add up. Under the budget, each
attempt waits at most for what is left of it, a failed one is retried only if its
back-off fits in what is left, and none starts once it is spent (DeadlineExceeded):
all of them BotoCoreErrors, so a 503 with Retry-After like any other AWS failure.

The budget starts with the request's first AWS call, so the request's other work (a
COUNT in PostgreSQL, a busy CPU) does not spend it; but its AWS calls end at most
REQUEST_AWS_DEADLINE_SECONDS after the request arrived, so a request that waited long
for a handler thread behind requests stuck on AWS is answered 503 at once instead of
adding to the queue.
"""

from __future__ import annotations

from collections.abc import Callable

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from conveyor_aws import clients

# The default of AWS_REQUEST_BUDGET_SECONDS, from the request's first AWS call.
REQUEST_AWS_BUDGET_SECONDS = 3.0
# From the request's arrival, whatever the budget. Beyond it, at most the API profile's
# 1 s connect timeout, or the withdrawal's own budget after a failed publish
# (conveyor_producer.acceptance.submitter.WITHDRAW_BUDGET_SECONDS): a request is
# answered within 5 s whatever AWS does.
REQUEST_AWS_DEADLINE_SECONDS = 3.5


def aws_budget_middleware(seconds: float) -> Callable[[ASGIApp], ASGIApp]:
    """A middleware running every HTTP request under clients.deadline(seconds)."""

    def wrap(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP:
                await app(scope, receive, send)
                return
            # A context variable: the handler's worker thread runs in a copy of this context.
            with clients.deadline(seconds, within=REQUEST_AWS_DEADLINE_SECONDS):
                await app(scope, receive, send)

        return middleware

    return wrap
