"""The processor's broker: which events have actors, and the export actor's time limit."""

from __future__ import annotations

import tempfile
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from conveyor_common.envelope import Envelope, encode, wrap
from conveyor_common.events import OrderSubmitted
from conveyor_common.orders import Order
from conveyor_processor.composition import UseCases
from conveyor_processor.exports.temp_dir import LOCK_SUFFIX, PREFIX
from conveyor_processor.settings import ProcessorSettings
from conveyor_processor.worker import (
    EXPORT_TIME_LIMIT_MS,
    actor_table,
    build_broker,
    claim_temp_dir,
)

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def not_called(envelope: Envelope) -> None:
    raise AssertionError("not called")


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> ProcessorSettings:
    # boto3 needs a region to build the SQS resource; nothing is called on it.
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return ProcessorSettings(
        state_table="table",
        database_url="postgresql://x@db/conveyor",
        events_topic_arn="arn:aws:sns:us-east-1:000000000000:events",
        processor_queue="processor-queue",
        exports_bucket="exports",
        public_api_url="https://api.example.com",
    )


def test_orders_and_exports_have_actors_on_the_processor_queue(
    settings: ProcessorSettings,
) -> None:
    # when
    broker = build_broker(settings, actor_table(UseCases(orders=not_called, exports=not_called)))

    # then
    assert set(broker.actors) == {"OrderSubmitted", "ExportRequested"}
    assert {actor.queue_name for actor in broker.actors.values()} == {"processor-queue"}
    options: dict[str, Any] = broker.actors["ExportRequested"].options
    assert options["time_limit"] == EXPORT_TIME_LIMIT_MS
    assert "time_limit" not in broker.actors["OrderSubmitted"].options


def test_without_exports_only_orders_have_an_actor(settings: ProcessorSettings) -> None:
    broker = build_broker(settings, actor_table(UseCases(orders=not_called)))
    assert set(broker.actors) == {"OrderSubmitted"}


def test_each_actor_hands_the_decoded_envelope_to_its_use_case(
    settings: ProcessorSettings,
) -> None:
    # given
    received: list[Envelope] = []
    broker = build_broker(settings, actor_table(UseCases(orders=received.append)))
    order = Order(
        order_id=uuid.uuid4(),
        tenant_id="acme",
        customer_id="c-1",
        customer_email="ada@example.com",
        customer_name=None,
        currency="EUR",
        items=(),
        total_amount=Decimal("0.00"),
        submitted_at=NOW,
    )
    envelope = wrap(OrderSubmitted(order=order), tenant_id="acme", correlation_id="corr-1")

    # when
    broker.actors["OrderSubmitted"].fn(encode(envelope).decode())

    # then
    assert received == [envelope]


def test_a_starting_worker_sends_its_temporary_files_into_a_directory_of_its_own(
    settings: ProcessorSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a temporary root where a dead worker left a directory and its free lock
    monkeypatch.setattr(tempfile, "tempdir", tempfile.tempdir)
    root = tmp_path / "processor-tmp"
    stale = root / f"{PREFIX}1-0badf00d"
    stale.mkdir(parents=True)
    (stale / "openpyxl.sheet").write_bytes(b"x")
    stale.with_name(stale.name + LOCK_SUFFIX).touch()

    # when
    temp_dir = claim_temp_dir(settings.model_copy(update={"export_temp_dir": root}))

    # then
    try:
        assert temp_dir.removed == [stale]
        assert tempfile.gettempdir() == str(temp_dir.path)
    finally:
        temp_dir.release()
    assert list(root.iterdir()) == []
