"""The processor's broker: which events have actors, and the export actor's time limit."""

from __future__ import annotations

import tempfile
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from conveyor_common.orders import Order
from conveyor_processor.exports.handlers import ExportServices
from conveyor_processor.exports.temp_dir import LOCK_SUFFIX, PREFIX
from conveyor_processor.settings import ProcessorSettings
from conveyor_processor.worker import (
    EXPORT_TIME_LIMIT_MS,
    WORKER_ID,
    build_broker,
    claim_temp_dir,
    lease_owner,
)


class NoOrders:
    def save_order(self, order: Order, *, event_id: uuid.UUID, correlation_id: str) -> bool:
        raise AssertionError("not called")


class NoReadModel:
    def record_persisted(self, order: Order, *, at: datetime) -> None:
        raise AssertionError("not called")

    def record_pending(self, order: Order, *, last_error: str, at: datetime) -> None:
        raise AssertionError("not called")


def no_exports() -> ExportServices:
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
    )


def test_orders_and_exports_have_actors_on_the_processor_queue(
    settings: ProcessorSettings,
) -> None:
    # when
    broker = build_broker(settings, orders=NoOrders(), read_model=NoReadModel(), exports=no_exports)

    # then
    assert set(broker.actors) == {"OrderSubmitted", "ExportRequested"}
    assert {actor.queue_name for actor in broker.actors.values()} == {"processor-queue"}
    options: dict[str, Any] = broker.actors["ExportRequested"].options
    assert options["time_limit"] == EXPORT_TIME_LIMIT_MS


def test_leases_are_owned_per_process_and_thread() -> None:
    assert lease_owner().startswith(f"{WORKER_ID}/")
    assert lease_owner() == lease_owner()


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
