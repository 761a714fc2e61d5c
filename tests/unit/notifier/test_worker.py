from __future__ import annotations

import pytest
from tests.unit.notifier.conftest import InMemoryStore

from conveyor_aws.resources import SERVICE_EVENTS
from conveyor_notifier.ledger import SentOnceLedger
from conveyor_notifier.mailers import LoggingMailer
from conveyor_notifier.settings import NotifierSettings
from conveyor_notifier.worker import EVENT_TYPES_WITHOUT_EMAIL, build_broker


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

    # then the order and export events each have an actor named after them, on its queue
    assert set(broker.actors) == {"OrderPersisted", "ExportCompleted", "ExportFailed"}
    assert {actor.queue_name for actor in broker.actors.values()} == {"notifier-queue"}


def test_every_subscribed_event_is_either_mailed_or_knowingly_left_to_the_dlq(
    settings: NotifierSettings,
) -> None:
    # given the event types the notifier's queue subscribes to
    subscribed = set(SERVICE_EVENTS["notifier"])

    # when the notifier's broker is built
    broker = build_broker(
        settings, ledger=SentOnceLedger(store=InMemoryStore()), mailer=LoggingMailer()
    )

    # then each has an actor or is declared as having no e-mail yet, never both
    assert set(broker.actors) | EVENT_TYPES_WITHOUT_EMAIL == subscribed
    assert not set(broker.actors) & EVENT_TYPES_WITHOUT_EMAIL


def test_orders_are_confirmed_once_persisted_not_when_submitted() -> None:
    # the notifier's queue hears of an order only once the processor stored it
    assert "OrderPersisted" in SERVICE_EVENTS["notifier"]
    assert "OrderSubmitted" not in SERVICE_EVENTS["notifier"]
