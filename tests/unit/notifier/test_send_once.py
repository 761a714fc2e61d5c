"""Sending each e-mail kind at most once: render, claim, send, record."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from botocore.exceptions import ClientError
from tests.unit.notifier.conftest import InMemoryStore, RecordingMailer

from conveyor_aws.delivery import History, decide
from conveyor_aws.failures import FailureKind
from conveyor_aws.mail import Email
from conveyor_common.envelope import Envelope, Event, wrap
from conveyor_notifier.exports.emails import EXPORT_COMPLETED, EXPORT_FAILED
from conveyor_notifier.imports.emails import FILE_FAILED, FILE_PROCESSED
from conveyor_notifier.ledger import SENDING, SENT, SentOnceLedger
from conveyor_notifier.orders.emails import ORDER_CONFIRMATION
from conveyor_notifier.refusals import EmailRefused
from conveyor_notifier.send_once import Delivery, Mailer, NoEmailForEvent, send_once
from conveyor_notifier.worker import EMAIL_KINDS

EnvelopeFactory = Callable[..., Envelope]

# Each e-mail kind: the fixture making its event, and the name keying its ledger entry.
KINDS = [
    pytest.param("order_envelope", ORDER_CONFIRMATION, id="order-confirmation"),
    pytest.param("export_completed_envelope", EXPORT_COMPLETED, id="export-completed"),
    pytest.param("export_failed_envelope", EXPORT_FAILED, id="export-failed"),
    pytest.param("file_processed_envelope", FILE_PROCESSED, id="file-processed"),
    pytest.param("file_failed_envelope", FILE_FAILED, id="file-failed"),
]


class _SomethingElse(Event, frozen=True, kw_only=True):
    event_type = "SomethingElse"


def deliver(envelope: Envelope, *, ledger: SentOnceLedger, mailer: Mailer) -> Delivery:
    """What the notifier's actors do with a delivered envelope."""
    return send_once(envelope, kinds=EMAIL_KINDS, ledger=ledger, mailer=mailer)


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


@pytest.fixture
def ledger(store: InMemoryStore) -> SentOnceLedger:
    return SentOnceLedger(store=store)


@pytest.mark.parametrize(("factory", "template"), KINDS)
def test_sends_the_email_and_records_it_as_sent(
    factory: str,
    template: str,
    request: pytest.FixtureRequest,
    ledger: SentOnceLedger,
    store: InMemoryStore,
) -> None:
    # given a new event
    envelope: Envelope = request.getfixturevalue(factory)()
    mailer = RecordingMailer()

    # when it is handled
    delivery = deliver(envelope, ledger=ledger, mailer=mailer)

    # then one e-mail goes out and the ledger holds its SES message id under the template
    assert delivery is Delivery.SENT
    assert [email.to for email in mailer.sent] == [("ada@example.com",)]
    record = store.items[f"EMAIL#{envelope.event_id}", template]
    assert record["status"] == SENT
    assert record["ses_message_id"] == "ses-1"


@pytest.mark.parametrize(("factory", "template"), KINDS)
def test_duplicate_delivery_sends_once(
    factory: str, template: str, request: pytest.FixtureRequest, ledger: SentOnceLedger
) -> None:
    # given an event that was already handled
    envelope: Envelope = request.getfixturevalue(factory)()
    mailer = RecordingMailer()
    deliver(envelope, ledger=ledger, mailer=mailer)

    # when the same event is delivered again
    delivery = deliver(envelope, ledger=ledger, mailer=mailer)

    # then it is skipped and there is still one e-mail
    assert delivery is Delivery.ALREADY_CLAIMED
    assert len(mailer.sent) == 1


@pytest.mark.parametrize(("factory", "template"), KINDS)
def test_claim_held_by_another_worker_means_skip(
    factory: str, template: str, request: pytest.FixtureRequest, ledger: SentOnceLedger
) -> None:
    # given another worker claimed this event's e-mail and is sending it
    envelope: Envelope = request.getfixturevalue(factory)()
    assert ledger.claim(envelope.event_id, template) is not None
    mailer = RecordingMailer()

    # when this worker handles the same event
    delivery = deliver(envelope, ledger=ledger, mailer=mailer)

    # then it sends nothing
    assert delivery is Delivery.ALREADY_CLAIMED
    assert mailer.sent == []


@pytest.mark.parametrize(("factory", "template"), KINDS)
def test_failed_send_releases_the_claim_so_a_retry_sends(
    factory: str,
    template: str,
    request: pytest.FixtureRequest,
    ledger: SentOnceLedger,
    store: InMemoryStore,
) -> None:
    # given a mailer whose first send fails
    envelope: Envelope = request.getfixturevalue(factory)()
    mailer = RecordingMailer(failures=1)

    # when the event is handled, then the failure propagates so the broker retries
    with pytest.raises(ConnectionError):
        deliver(envelope, ledger=ledger, mailer=mailer)
    # and the claim is gone
    assert store.items == {}

    # when the retry handles it
    delivery = deliver(envelope, ledger=ledger, mailer=mailer)

    # then the e-mail is sent exactly once
    assert delivery is Delivery.SENT
    assert len(mailer.sent) == 1


def test_completed_and_failed_emails_of_one_export_are_claimed_apart(
    export_completed_envelope: EnvelopeFactory,
    export_failed_envelope: EnvelopeFactory,
    ledger: SentOnceLedger,
    store: InMemoryStore,
) -> None:
    # given an ExportCompleted and an ExportFailed event that share an event id
    completed = export_completed_envelope()
    failed = wrap(
        export_failed_envelope().payload,
        tenant_id="tenant-1",
        correlation_id="corr-1",
        event_id=completed.event_id,
    )
    mailer = RecordingMailer()

    # when both are handled
    deliveries = [deliver(e, ledger=ledger, mailer=mailer) for e in (completed, failed)]

    # then each template has its own ledger entry and both e-mails go out
    assert deliveries == [Delivery.SENT, Delivery.SENT]
    assert set(store.items) == {
        (f"EMAIL#{completed.event_id}", EXPORT_COMPLETED),
        (f"EMAIL#{completed.event_id}", EXPORT_FAILED),
    }


def test_export_without_recipients_sends_nothing_and_claims_nothing(
    export_completed_envelope: EnvelopeFactory, ledger: SentOnceLedger, store: InMemoryStore
) -> None:
    # given an export whose requester asked nobody to be told
    envelope = export_completed_envelope(notify=())
    mailer = RecordingMailer()

    # when it is handled
    delivery = deliver(envelope, ledger=ledger, mailer=mailer)

    # then nothing is sent and the ledger stays empty
    assert delivery is Delivery.NO_RECIPIENTS
    assert mailer.sent == []
    assert store.items == {}


def test_event_without_an_email_is_refused_before_any_claim(
    ledger: SentOnceLedger, store: InMemoryStore
) -> None:
    # given an event type the notifier has no e-mail for
    envelope = wrap(_SomethingElse(), tenant_id="tenant-1", correlation_id="corr-1")

    # when / then handling it fails loudly and leaves no claim
    with pytest.raises(NoEmailForEvent, match="SomethingElse"):
        deliver(envelope, ledger=ledger, mailer=RecordingMailer())
    assert store.items == {}


def test_ledger_claims_are_keyed_by_event_and_template(
    ledger: SentOnceLedger, store: InMemoryStore
) -> None:
    # given an event id
    event_id = uuid.uuid4()

    # when the order confirmation is claimed for it, and the same claim is attempted again
    first = ledger.claim(event_id, ORDER_CONFIRMATION)
    second = ledger.claim(event_id, ORDER_CONFIRMATION)
    other_template = ledger.claim(event_id, EXPORT_COMPLETED)

    # then only the first claim of each template wins, under the agreed key, with its time
    assert second is None
    assert first is not None
    assert other_template is not None
    claim = store.items[f"EMAIL#{event_id}", ORDER_CONFIRMATION]
    assert claim == {"status": SENDING, "claimed_at": first}


def test_the_sent_mark_keeps_the_claims_time(ledger: SentOnceLedger, store: InMemoryStore) -> None:
    event_id = uuid.uuid4()
    claimed_at = ledger.claim(event_id, ORDER_CONFIRMATION)
    assert claimed_at is not None

    ledger.mark_sent(event_id, ORDER_CONFIRMATION, claimed_at=claimed_at, ses_message_id="m-1")

    record = store.items[f"EMAIL#{event_id}", ORDER_CONFIRMATION]
    assert record.keys() == {"status", "claimed_at", "sent_at", "ses_message_id"}
    assert (record["status"], record["claimed_at"], record["ses_message_id"]) == (
        SENT,
        claimed_at,
        "m-1",
    )


class _RefusingMailer:
    def __init__(self, code: str, message: str) -> None:
        self._error = {"Error": {"Code": code, "Message": message}}

    def send(self, email: Email) -> str:
        raise ClientError(self._error, "SendEmail")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("code", "message"),
    [("MessageRejected", "Too many recipients."), ("InvalidParameterValue", "Bad address")],
)
def test_an_email_ses_refuses_for_what_it_is_is_a_permanent_failure_with_its_reason(
    file_processed_envelope: Callable[..., Envelope],
    ledger: SentOnceLedger,
    store: InMemoryStore,
    code: str,
    message: str,
) -> None:
    # given an e-mail SES refuses whatever the attempt
    envelope = file_processed_envelope()

    # when it is sent
    with pytest.raises(EmailRefused) as refused:
        deliver(envelope, ledger=ledger, mailer=_RefusingMailer(code, message))

    # then it is parked at once with a readable reason, and the claim is given back
    decision = decide(refused.value, History(), now_ms=0)
    assert (decision.kind, decision.retry) == (FailureKind.PERMANENT, False)
    assert f"{code}: {message}" in decision.reason
    assert store.items == {}


def test_a_throttled_send_is_not_taken_for_a_refusal(
    file_processed_envelope: Callable[..., Envelope], ledger: SentOnceLedger
) -> None:
    with pytest.raises(ClientError):
        deliver(
            file_processed_envelope(),
            ledger=ledger,
            mailer=_RefusingMailer("Throttling", "Maximum sending rate exceeded."),
        )
