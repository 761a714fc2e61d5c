"""A worker's liveness record: what the consumer writes, and what the health check decides."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.unit.aws.broker.fakes import FakeQueue, a_consumer

from conveyor_aws.broker.consumer import EnvelopeConsumer
from conveyor_aws.broker.liveness import (
    DEFAULT_MAX_AGE_SECONDS,
    EXIT_ALIVE,
    EXIT_NOT_ALIVE,
    MIN_MAX_AGE_SECONDS,
    RECORD_INTERVAL_SECONDS,
    WORKERS,
    LivenessConfig,
    last_recorded,
    main,
    problem,
)
from conveyor_aws.broker.liveness_recorder import LivenessRecorder
from conveyor_aws.broker.worker import _until_consuming
from conveyor_aws.clients import SQS_LONG_POLL_SECONDS, SQS_READ_TIMEOUT_SECONDS
from conveyor_aws.resources import SERVICE_EVENTS
from conveyor_common.settings import EXIT_CONFIG_ERROR

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class FailingQueue(FakeQueue):
    def receive_messages(self, **_: Any) -> list[Any]:
        raise ConnectionError("AccessDenied")


def consumer_with(liveness: LivenessRecorder, queue: FakeQueue) -> EnvelopeConsumer:
    consumer = a_consumer(FakeQueue(), queue)
    consumer.liveness = liveness
    return consumer


def test_a_record_is_alive_until_it_is_older_than_the_bound(tmp_path: Path) -> None:
    clock, path = FakeClock(), tmp_path / "worker.alive"
    LivenessRecorder(path, clock=clock).record()

    recorded_at = last_recorded(path)

    assert recorded_at == T0
    assert problem(recorded_at, now=T0 + timedelta(seconds=5), max_age_seconds=5) is None
    stale = problem(recorded_at, now=T0 + timedelta(seconds=5.5), max_age_seconds=5)
    assert stale == (
        "its consumer last worked 5.5 s ago (more than 5 s): it cannot receive from SQS"
    )


def test_no_record_is_not_alive(tmp_path: Path) -> None:
    assert last_recorded(tmp_path / "never.alive") is None
    assert problem(None, now=T0, max_age_seconds=60) == (
        "its consumer has not received from SQS yet"
    )


@pytest.mark.parametrize("content", ["", "not a time", "2026-06-01T12:00:00"])
def test_an_unreadable_or_naive_record_counts_as_none(tmp_path: Path, content: str) -> None:
    path = tmp_path / "worker.alive"
    path.write_text(content, encoding="utf-8")
    assert last_recorded(path) is None


def test_records_are_written_at_most_once_per_interval(tmp_path: Path) -> None:
    clock, path = FakeClock(), tmp_path / "worker.alive"
    liveness = LivenessRecorder(path, clock=clock)

    liveness.record()
    clock.advance(RECORD_INTERVAL_SECONDS / 2)
    liveness.record()
    assert last_recorded(path) == T0

    clock.advance(RECORD_INTERVAL_SECONDS / 2)
    liveness.record()
    assert last_recorded(path) == T0 + timedelta(seconds=RECORD_INTERVAL_SECONDS)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["worker.alive"]


def test_reset_removes_what_an_earlier_process_recorded(tmp_path: Path) -> None:
    path = tmp_path / "worker.alive"
    LivenessRecorder(path).record()

    restarted = LivenessRecorder(path)
    restarted.reset()
    restarted.reset()

    assert not path.exists()
    assert not restarted.consuming.is_set()


def test_an_unwritable_record_does_not_stop_the_consumer(tmp_path: Path) -> None:
    liveness = LivenessRecorder(tmp_path / "missing-dir" / "worker.alive")
    liveness.record()
    assert liveness.consuming.is_set()
    assert last_recorded(tmp_path / "missing-dir" / "worker.alive") is None


def test_the_consumer_records_a_receive_that_answered_even_empty() -> None:
    liveness = LivenessRecorder()
    assert next(consumer_with(liveness, FakeQueue())) is None
    assert liveness.consuming.is_set()


def test_the_consumer_records_nothing_when_the_receive_fails() -> None:
    liveness = LivenessRecorder()
    consumer = consumer_with(liveness, FailingQueue())

    for _ in range(3):
        with pytest.raises(ConnectionError):
            next(consumer)

    assert not liveness.consuming.is_set()


def test_a_consumer_with_every_slot_busy_is_alive_without_receiving() -> None:
    # given a consumer whose prefetched messages are all still being worked on
    liveness = LivenessRecorder()
    consumer = consumer_with(liveness, FailingQueue())
    consumer.message_refc = consumer.prefetch

    # when it passes, then it does not try to receive, and is alive
    assert next(consumer) is None
    assert liveness.consuming.is_set()


def test_the_default_bound_outlasts_the_longest_healthy_pass() -> None:
    # a long poll, a back-off as long, and a receive attempt lost to its read timeout
    assert DEFAULT_MAX_AGE_SECONDS >= 2 * SQS_LONG_POLL_SECONDS + SQS_READ_TIMEOUT_SECONDS
    assert LivenessConfig().liveness_max_age_seconds == DEFAULT_MAX_AGE_SECONDS
    assert MIN_MAX_AGE_SECONDS > RECORD_INTERVAL_SECONDS


def test_the_check_knows_every_worker_with_a_queue() -> None:
    assert sorted(WORKERS) == sorted(SERVICE_EVENTS)


def test_each_service_has_its_own_file_unless_one_is_set(tmp_path: Path) -> None:
    default = LivenessConfig()
    assert default.liveness_path("processor") != default.liveness_path("notifier")
    assert default.liveness_path("notifier").name == "conveyor-notifier.alive"
    chosen = LivenessConfig(liveness_file=tmp_path / "x.alive")
    assert chosen.liveness_path("notifier") == tmp_path / "x.alive"


def test_the_check_exits_0_only_for_a_fresh_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "worker.alive"
    monkeypatch.setenv("LIVENESS_FILE", str(path))
    monkeypatch.setenv("LIVENESS_MAX_AGE_SECONDS", "5")

    assert main(["notifier"]) == EXIT_NOT_ALIVE
    LivenessRecorder(path).record()
    assert main(["notifier"]) == EXIT_ALIVE
    LivenessRecorder(path, clock=lambda: datetime.now(UTC) - timedelta(seconds=6)).record()
    assert main(["notifier"]) == EXIT_NOT_ALIVE

    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"notifier not alive: its consumer has not received from SQS yet ({path})"
    assert err[1].startswith("notifier not alive: its consumer last worked 6.")


def test_the_check_refuses_an_unknown_worker_and_too_short_a_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(SystemExit) as unknown:
        main(["producer"])
    assert unknown.value.code == 2
    monkeypatch.setenv("LIVENESS_MAX_AGE_SECONDS", str(MIN_MAX_AGE_SECONDS - 0.5))
    with pytest.raises(SystemExit) as too_short:
        main(["processor"])
    assert too_short.value.code == EXIT_CONFIG_ERROR


def test_the_start_waits_for_the_first_receive_or_a_stop() -> None:
    liveness, stop = LivenessRecorder(), threading.Event()
    stop.set()
    assert _until_consuming(liveness, stop) is False

    liveness.record()
    assert _until_consuming(liveness, threading.Event()) is True
