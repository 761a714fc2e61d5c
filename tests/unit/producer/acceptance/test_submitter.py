"""What accepting a request refuses before anything is recorded or published."""

from __future__ import annotations

import uuid

import pytest
from tests.unit.producer.conftest import START

from conveyor_common.envelope import Envelope, wrap
from conveyor_common.errors import FieldError, ValidationFailed
from conveyor_common.events import ExportRequested
from conveyor_common.exports.model import ExportFormat
from conveyor_producer.acceptance.submitter import MAX_EVENT_BYTES, Acceptance


class TooBig(ValidationFailed):
    """A feature's own 422."""


async def ignore(_: Envelope) -> None:
    pass


def event_of(size: int) -> Envelope:
    event = ExportRequested(
        export_id=uuid.uuid4(),
        requested_by="alice",
        resource="orders",
        format=ExportFormat.CSV,
        title=None,
        notify=("alice@example.com",),
        filters={"status": "x" * size},
        columns=None,
        include_bom=False,
        estimated_row_count=1,
        requested_at=START,
        expires_at=START,
    )
    return wrap(event, tenant_id="acme", correlation_id="c", occurred_at=START)


ACCEPTANCE = Acceptance(record=ignore, withdraw=ignore, bulky_field="filters", invalid=TooBig)


def test_an_event_sns_could_never_take_is_the_features_own_422_naming_the_bulky_field() -> None:
    with pytest.raises(TooBig) as refused:
        ACCEPTANCE.encoded(event_of(MAX_EVENT_BYTES))

    assert refused.value.errors == [FieldError("filters", "the request is too large to accept")]


def test_an_event_within_the_limit_is_encoded_as_published() -> None:
    envelope = event_of(1000)

    assert str(envelope.event_id) in ACCEPTANCE.encoded(envelope)
