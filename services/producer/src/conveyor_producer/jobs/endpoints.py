"""What a job feature's routes share: a listing's page parameters, and a cancel's
answers (202 when it changed the job, 200 when it was cancelled already)."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from litestar import Response
from litestar.openapi import ResponseSpec
from litestar.params import QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED

from conveyor_producer.http.problems import documented_problems
from conveyor_producer.jobs.access import CancelOutcome
from conveyor_producer.jobs.rules import MAX_PAGE, MAX_PAGE_SIZE

ViewT = TypeVar("ViewT")

# A listing's `page` (default 1) and `limit` (default DEFAULT_PAGE_SIZE); out of range is 400.
PageNumber = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)]
PageSize = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE)]


def cancel_responses(view: type[Any], *problem_statuses: int) -> dict[int, ResponseSpec]:
    """A cancel route's documented answers beside its 202: the 200 of a job cancelled
    already, with its view, and the problems it may answer."""
    return {
        HTTP_200_OK: ResponseSpec(
            data_container=view, description="Cancelled already", generate_examples=False
        ),
        **documented_problems(*problem_statuses),
    }


def cancel_answer(outcome: CancelOutcome[ViewT]) -> Response[ViewT]:
    status_code = HTTP_202_ACCEPTED if outcome.changed else HTTP_200_OK
    return Response(outcome.current, status_code=status_code)
