"""The publisher's PublishBatch calls: within SNS's limits of ten messages and 256 KiB,
and a message SNS refuses fails its own caller only."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import msgspec
import pytest
from botocore.exceptions import ClientError
from tests.unit.aws.broker.fakes import an_envelope_body

from conveyor_aws import publisher as publisher_module
from conveyor_aws.publisher import MAX_BATCH_BYTES, MAX_BATCH_MESSAGES, EventPublisher
from conveyor_common.envelope import Envelope, decode, encode

TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:conveyor-events"
WAIT_SECONDS = 10


class HeldSns:
    """Records each PublishBatch; the first is held until the test lets go."""

    def __init__(self, *, refuse: set[str] | None = None) -> None:
        self.batches: list[list[dict[str, Any]]] = []
        self.first_entered = threading.Event()
        self.release = threading.Event()
        self._refuse = refuse or set()

    def publish_batch(self, **kwargs: Any) -> dict[str, Any]:
        entries = kwargs["PublishBatchRequestEntries"]
        self.batches.append(entries)
        if len(self.batches) == 1:
            self.first_entered.set()
            assert self.release.wait(WAIT_SECONDS)
        refused = [e for e in entries if e["Message"] in self._refuse]
        return {
            "Successful": [
                {"Id": e["Id"], "MessageId": f"m-{e['Message'][-8:]}"}
                for e in entries
                if e not in refused
            ],
            "Failed": [
                {"Id": e["Id"], "Code": "InvalidParameter", "SenderFault": True} for e in refused
            ],
        }


def bulky(envelope: Envelope, kib: int) -> Envelope:
    return msgspec.structs.replace(envelope, correlation_id="x" * (kib * 1024))


def publish_while_held(sns: HeldSns, envelopes: list[Envelope]) -> list[Any]:
    """A first publish is held; `envelopes` are published meanwhile, then all let go."""
    publisher = EventPublisher(topic_arn=TOPIC_ARN, client=sns, senders=1)  # type: ignore[arg-type]
    with ThreadPoolExecutor(len(envelopes) + 1) as pool:
        first = pool.submit(publisher.publish, decode(an_envelope_body()))
        assert sns.first_entered.wait(WAIT_SECONDS)
        futures = [pool.submit(publisher.publish, e) for e in envelopes]
        while len(publisher._batches._waiting) < len(envelopes):
            threading.Event().wait(0.005)
        sns.release.set()
        first.result()
        return [f.exception() or f.result() for f in futures]


def entry_bytes(entry: dict[str, Any]) -> int:
    attributes = entry["MessageAttributes"]
    return len(entry["Message"].encode()) + sum(
        len(name) + len(value["DataType"]) + len(value["StringValue"])
        for name, value in attributes.items()
    )


def test_a_batch_holds_at_most_ten_messages() -> None:
    sns = HeldSns()

    publish_while_held(sns, [decode(an_envelope_body()) for _ in range(13)])

    assert [len(batch) for batch in sns.batches] == [1, MAX_BATCH_MESSAGES, 3]


def test_a_batch_holds_at_most_256_kib_of_messages_and_attributes() -> None:
    # given five messages of about 100 KiB each
    sns = HeldSns()
    envelopes = [bulky(decode(an_envelope_body()), 100) for _ in range(5)]

    results = publish_while_held(sns, envelopes)

    assert all(isinstance(r, str) for r in results)
    assert [len(batch) for batch in sns.batches[1:]] == [2, 2, 1]
    assert all(sum(map(entry_bytes, batch)) <= MAX_BATCH_BYTES for batch in sns.batches)


def test_a_message_sns_refuses_fails_its_caller_and_no_other() -> None:
    envelopes = [decode(an_envelope_body()) for _ in range(3)]
    refused = encode(envelopes[1]).decode()
    sns = HeldSns(refuse={refused})

    results = publish_while_held(sns, envelopes)

    assert isinstance(results[0], str)
    assert isinstance(results[2], str)
    assert isinstance(results[1], ClientError)
    assert results[1].response["Error"]["Code"] == "InvalidParameter"
    assert results[1].operation_name == "PublishBatch"


@pytest.mark.parametrize("messages", [1, 3])
def test_each_caller_gets_the_message_id_of_its_own_message(messages: int) -> None:
    sns = HeldSns()
    envelopes = [decode(an_envelope_body()) for _ in range(messages)]

    results = publish_while_held(sns, envelopes)

    assert results == [f"m-{encode(e).decode()[-8:]}" for e in envelopes]


class FlakySns:
    """Fails every message on SNS's side the first `failures` times, then publishes."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls: list[int] = []

    def publish_batch(self, **kwargs: Any) -> dict[str, Any]:
        entries = kwargs["PublishBatchRequestEntries"]
        self.calls.append(len(entries))
        if len(self.calls) <= self.failures:
            failed = [{"Id": e["Id"], "Code": "Throttled", "SenderFault": False} for e in entries]
            return {"Successful": [], "Failed": failed}
        ok = [{"Id": e["Id"], "MessageId": f"m-{e['Id']}"} for e in entries]
        return {"Successful": ok, "Failed": []}


def test_a_message_sns_failed_on_its_side_is_sent_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(publisher_module, "RETRY_FIRST_DELAY_SECONDS", 0.001)
    sns = FlakySns(failures=2)
    publisher = EventPublisher(topic_arn=TOPIC_ARN, client=sns)  # type: ignore[arg-type]

    assert publisher.publish(decode(an_envelope_body())) == "m-0"
    assert sns.calls == [1, 1, 1]


def test_a_message_sns_keeps_failing_fails_its_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(publisher_module, "RETRY_FIRST_DELAY_SECONDS", 0.001)
    sns = FlakySns(failures=publisher_module.RETRY_ATTEMPTS + 1)
    publisher = EventPublisher(topic_arn=TOPIC_ARN, client=sns)  # type: ignore[arg-type]

    with pytest.raises(ClientError, match="Throttled"):
        publisher.publish(decode(an_envelope_body()))
    assert len(sns.calls) == publisher_module.RETRY_ATTEMPTS + 1
