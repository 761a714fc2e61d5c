from __future__ import annotations

import pytest
from tests.unit.notifier.conftest import InMemoryStore

from conveyor_aws.resources import SERVICE_EVENTS
from conveyor_notifier.ledger import SentOnceLedger
from conveyor_notifier.mailers import LoggingMailer
from conveyor_notifier.settings import NotifierSettings
from conveyor_notifier.worker import build_broker


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> NotifierSettings:
    # boto3 needs a region to build the SQS resource; nothing is called on it.
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return NotifierSettings(
        state_table="table", notifier_queue="notifier-queue", ses_sender="no-reply@example.com"
    )


def test_every_email_event_has_an_actor_on_the_notifier_queue(settings: NotifierSettings) -> None:
    # when the notifier's broker is built
    broker = build_broker(
        settings, ledger=SentOnceLedger(store=InMemoryStore()), mailer=LoggingMailer()
    )

    # then the order, export and import events each have an actor named after them, on its queue
    assert set(broker.actors) == {
        "OrderPersisted",
        "ExportCompleted",
        "ExportFailed",
        "FileProcessed",
        "FileFailed",
    }
    assert {actor.queue_name for actor in broker.actors.values()} == {"notifier-queue"}


def test_every_subscribed_event_has_an_actor_and_every_actor_is_subscribed(
    settings: NotifierSettings,
) -> None:
    # given the event types the notifier's queue subscribes to
    subscribed = set(SERVICE_EVENTS["notifier"])

    # when the notifier's broker is built
    broker = build_broker(
        settings, ledger=SentOnceLedger(store=InMemoryStore()), mailer=LoggingMailer()
    )

    # then each subscribed event has an actor, and no actor waits for an event never routed
    assert set(broker.actors) == subscribed


def test_orders_are_confirmed_once_persisted_not_when_submitted() -> None:
    # the notifier's queue hears of an order only once the processor stored it
    assert "OrderPersisted" in SERVICE_EVENTS["notifier"]
    assert "OrderSubmitted" not in SERVICE_EVENTS["notifier"]
