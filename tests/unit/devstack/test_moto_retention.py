"""The devstack emulator's retention check gives moto's own answer, without its cost."""

from __future__ import annotations

import uuid

import pytest
from moto.core.utils import unix_time_millis
from moto.sqs.models import Message, SQSBackend

from conveyor_devstack.moto_process import retained

RETENTION_SECONDS = 60


@pytest.fixture
def backend() -> SQSBackend:
    # A backend object of its own: no server, nothing shared with other tests.
    sqs = SQSBackend("eu-west-1", "123456789012")
    sqs.create_queue("retained", MessageRetentionPeriod=str(RETENTION_SECONDS))
    return sqs


def sent(seconds_ago: float) -> Message:
    message = Message(str(uuid.uuid4()), "body")
    message.sent_timestamp = int(unix_time_millis() - seconds_ago * 1000)  # type: ignore[assignment]
    return message


@pytest.mark.parametrize("seconds_ago", [0, 1, RETENTION_SECONDS - 5, RETENTION_SECONDS + 5, 3600])
def test_a_message_is_retained_exactly_when_moto_would_retain_it(
    backend: SQSBackend, seconds_ago: float
) -> None:
    message = sent(seconds_ago)

    ours = retained(backend, "retained", message)
    motos = SQSBackend.is_message_valid_based_on_retention_period(backend, "retained", message)

    assert ours is motos
    assert ours is (seconds_ago < RETENTION_SECONDS)


def test_the_check_does_not_count_the_queues_messages(
    backend: SQSBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue = backend.get_queue("retained")
    for _ in range(3):
        backend.send_message("retained", "body")

    def counted(_: object) -> int:
        raise AssertionError("the retention check counted the queue's messages")

    monkeypatch.setattr(type(queue), "approximate_number_of_messages", property(counted))

    assert retained(backend, "retained", sent(0))
