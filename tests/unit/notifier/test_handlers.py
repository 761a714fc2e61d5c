from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from conveyor_aws.mail import Email
from conveyor_common.envelope import Envelope
from conveyor_notifier.handlers import Delivery, handle_order_submitted
from conveyor_notifier.ledger import SENDING, SENT, SentOnceLedger
from conveyor_notifier.render import ORDER_CONFIRMATION

OrderEnvelopeFactory = Callable[..., Envelope]


class InMemoryStore:
    """The conditional-write semantics of the DynamoDB state store, in a dict."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}

    def put_if_absent(self, pk: str, sk: str, attributes: Mapping[str, Any]) -> bool:
        if (pk, sk) in self.items:
            return False
        self.items[pk, sk] = dict(attributes)
        return True

    def update(self, pk: str, sk: str, attributes: Mapping[str, Any]) -> None:
        self.items.setdefault((pk, sk), {}).update(attributes)

    def delete(self, pk: str, sk: str) -> None:
        self.items.pop((pk, sk), None)


class RecordingMailer:
    def __init__(self, *, failures: int = 0) -> None:
        self.sent: list[Email] = []
        self._failures_left = failures

    def send(self, email: Email) -> str:
        if self._failures_left:
            self._failures_left -= 1
            raise ConnectionError("SES is unreachable")
        self.sent.append(email)
        return f"ses-{len(self.sent)}"


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


@pytest.fixture
def ledger(store: InMemoryStore) -> SentOnceLedger:
    return SentOnceLedger(store=store)


def test_sends_the_confirmation_and_records_it_as_sent(
    order_envelope: OrderEnvelopeFactory, ledger: SentOnceLedger, store: InMemoryStore
) -> None:
    # given a new OrderSubmitted event
    envelope = order_envelope(customer_email="first@example.com")
    mailer = RecordingMailer()

    # when it is handled
    delivery = handle_order_submitted(envelope, ledger=ledger, mailer=mailer)

    # then one e-mail goes to the customer and the ledger holds its SES message id
    assert delivery is Delivery.SENT
    assert [email.to for email in mailer.sent] == [("first@example.com",)]
    record = store.items[f"EMAIL#{envelope.event_id}", ORDER_CONFIRMATION]
    assert record["status"] == SENT
    assert record["ses_message_id"] == "ses-1"


def test_duplicate_delivery_sends_once(
    order_envelope: OrderEnvelopeFactory, ledger: SentOnceLedger
) -> None:
    # given an event that was already handled
    envelope = order_envelope()
    mailer = RecordingMailer()
    handle_order_submitted(envelope, ledger=ledger, mailer=mailer)

    # when the same event is delivered again
    delivery = handle_order_submitted(envelope, ledger=ledger, mailer=mailer)

    # then it is skipped and the customer still has one e-mail
    assert delivery is Delivery.ALREADY_CLAIMED
    assert len(mailer.sent) == 1


def test_claim_held_by_another_worker_means_skip(
    order_envelope: OrderEnvelopeFactory, ledger: SentOnceLedger
) -> None:
    # given another worker claimed this event's e-mail and is sending it
    envelope = order_envelope()
    assert ledger.claim(envelope.event_id, ORDER_CONFIRMATION)
    mailer = RecordingMailer()

    # when this worker handles the same event
    delivery = handle_order_submitted(envelope, ledger=ledger, mailer=mailer)

    # then it sends nothing
    assert delivery is Delivery.ALREADY_CLAIMED
    assert mailer.sent == []


def test_failed_send_releases_the_claim_so_a_retry_sends(
    order_envelope: OrderEnvelopeFactory, ledger: SentOnceLedger, store: InMemoryStore
) -> None:
    # given a mailer whose first send fails
    envelope = order_envelope()
    mailer = RecordingMailer(failures=1)

    # when the event is handled, then the failure propagates so the broker retries
    with pytest.raises(ConnectionError):
        handle_order_submitted(envelope, ledger=ledger, mailer=mailer)
    # and the claim is gone
    assert store.items == {}

    # when the retry handles it
    delivery = handle_order_submitted(envelope, ledger=ledger, mailer=mailer)

    # then the e-mail is sent exactly once
    assert delivery is Delivery.SENT
    assert len(mailer.sent) == 1


def test_ledger_claims_are_keyed_by_event_and_template(
    ledger: SentOnceLedger, store: InMemoryStore
) -> None:
    # given an event id
    event_id = uuid.uuid4()

    # when the order confirmation is claimed for it, and the same claim is attempted again
    first = ledger.claim(event_id, ORDER_CONFIRMATION)
    second = ledger.claim(event_id, ORDER_CONFIRMATION)
    other_template = ledger.claim(event_id, "export_completed")

    # then only the first claim of each template wins, under the agreed key
    assert (first, second, other_template) == (True, False, True)
    assert store.items[f"EMAIL#{event_id}", ORDER_CONFIRMATION]["status"] == SENDING
