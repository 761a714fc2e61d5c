from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest

from conveyor_common import schema
from conveyor_common.envelope import InvalidEnvelope, UnexpectedEvent, decode, encode, wrap
from conveyor_common.events import OrderPersisted, OrderSubmitted
from conveyor_common.orders import Order, OrderItem

# Where the schema is kept for other consumers (see conveyor_common.schema).
SCHEMA_PATH = Path(schema.__file__).resolve().parents[2] / "schema" / "envelope.schema.json"


def an_order() -> Order:
    return Order(
        order_id=uuid.uuid4(),
        tenant_id="acme",
        customer_id="c-1",
        customer_email="a@example.com",
        customer_name=None,
        currency="EUR",
        items=(
            OrderItem(
                sku="S",
                name=None,
                quantity=2,
                unit_price=Decimal("1.50"),
                line_total=Decimal("3.00"),
            ),
        ),
        total_amount=Decimal("3.00"),
        submitted_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )


def test_envelope_round_trips_through_plain_json() -> None:
    # given an OrderSubmitted event in its envelope
    envelope = wrap(OrderSubmitted(order=an_order()), tenant_id="acme", correlation_id="corr-1")
    # when it is encoded and decoded
    data = encode(envelope)
    # then any JSON reader sees the envelope fields, and decoding restores the typed payload
    plain = msgspec.json.decode(data)
    assert set(plain) == {
        "event_id",
        "event_type",
        "schema_version",
        "occurred_at",
        "correlation_id",
        "tenant_id",
        "payload",
    }
    assert plain["event_type"] == "OrderSubmitted"
    assert plain["payload"]["order"]["total_amount"] == "3.00"
    assert decode(data) == envelope


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "not an event envelope"),
        (b'{"hello": "world"}', "not an event envelope"),
        (b"\x00\xff", "not an event envelope"),
    ],
)
def test_garbage_is_rejected_with_a_reason(body: bytes, reason: str) -> None:
    with pytest.raises(InvalidEnvelope, match=reason):
        decode(body)


def test_unknown_event_type_and_version_and_payload_are_rejected() -> None:
    # given a valid envelope turned into a dict we can tamper with
    envelope: dict[str, object] = msgspec.json.decode(
        encode(wrap(OrderSubmitted(order=an_order()), tenant_id="t", correlation_id="c"))
    )
    # then an unknown type, an unsupported version and a broken payload are all refused
    changes: list[tuple[dict[str, object], str]] = [
        ({"event_type": "Nope"}, "unknown event type 'Nope'"),
        ({"schema_version": 99}, "schema version 99 is not supported"),
        ({"payload": {"order": {"order_id": "x"}}}, "invalid OrderSubmitted payload"),
    ]
    for change, reason in changes:
        with pytest.raises(InvalidEnvelope, match=reason) as refused:
            decode(msgspec.json.encode({**envelope, **change}))
        # and each refusal still names the type the envelope claimed, for the DLQ
        assert refused.value.event_type == change.get("event_type", "OrderSubmitted")


def test_garbage_names_no_event_type() -> None:
    with pytest.raises(InvalidEnvelope) as refused:
        decode(b"not json")
    assert refused.value.event_type is None


def test_a_decoded_envelope_narrows_to_the_event_it_holds() -> None:
    # given an OrderSubmitted envelope, decoded as any event
    order = an_order()
    envelope = decode(encode(wrap(OrderSubmitted(order=order), tenant_id="t", correlation_id="c")))

    # when a handler narrows it to OrderSubmitted, then it has the typed payload
    assert envelope.of(OrderSubmitted).payload.order == order

    # and narrowing it to another event fails naming both
    with pytest.raises(
        UnexpectedEvent, match="expected an OrderPersisted envelope, got OrderSubmitted"
    ):
        envelope.of(OrderPersisted)


def test_committed_json_schema_matches_the_contracts() -> None:
    # the schema in the repo is regenerated with `python -m conveyor_common.schema`
    assert SCHEMA_PATH.read_text() == schema.render()
