from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient
from tests.unit.producer.conftest import TENANT, FakePublisher, FakeStore, bearer, order_body

from conveyor_common.orders import Order, OrderRequest, normalise_order
from conveyor_producer.acceptance.idempotency import (
    Decision,
    IdempotencyKeyReused,
    IdempotencyRecord,
    InvalidIdempotencyKey,
    Status,
    check_key,
    decide,
    fingerprint,
)
from conveyor_producer.acceptance.idempotency_store import KeyOwner, record_key
from conveyor_producer.orders.rules import ORDER_VOLATILE_FIELDS

ORDERS = "/api/v1/orders"
NOW = datetime(2024, 5, 17, 9, 30, tzinfo=UTC)

# The callers the tests' tokens name (conftest.bearer's default subject).
OWNER = KeyOwner(TENANT, "alice")


def normalised(*, submitted_at: datetime = NOW, **overrides: Any) -> Order:
    request = msgspec.convert(order_body(**overrides), OrderRequest)
    return normalise_order(
        request, order_id=uuid.uuid4(), tenant_id=TENANT, submitted_at=submitted_at
    )


def record(fingerprint_value: str, status: Status) -> IdempotencyRecord:
    return IdempotencyRecord(
        fingerprint=fingerprint_value,
        subject_id="o",
        event_id="e",
        envelope="{}",
        status=status,
        response={"orderId": "o", "status": "ACCEPTED"},
        ttl=0,
    )


def order_fingerprint(order: Order) -> str:
    return fingerprint(order, ignore=ORDER_VOLATILE_FIELDS)


def test_fingerprint_ignores_the_generated_id_and_time_but_not_the_content() -> None:
    first = normalised()
    later = normalised(submitted_at=NOW + timedelta(minutes=5))

    assert order_fingerprint(first) == order_fingerprint(later)
    assert order_fingerprint(first) != order_fingerprint(normalised(currency="USD"))
    assert fingerprint(first) != fingerprint(later)


def test_fingerprint_is_of_the_normalised_request() -> None:
    assert order_fingerprint(normalised(customerEmail="JANE.DOE@example.com")) == (
        order_fingerprint(normalised(customerEmail=" jane.doe@EXAMPLE.com "))
    )


def test_keys_are_1_to_255_printable_characters() -> None:
    assert check_key("a") == "a"
    assert check_key("k" * 255) == "k" * 255
    for bad in ("", "k" * 256, "line\nbreak", "\u00e9"):
        with pytest.raises(InvalidIdempotencyKey):
            check_key(bad)


def test_decision_for_a_stored_record() -> None:
    assert decide(record("f", Status.PUBLISHED), request_fingerprint="f") is Decision.REPLAY
    assert decide(record("f", Status.PENDING), request_fingerprint="f") is Decision.RESUME
    with pytest.raises(IdempotencyKeyReused):
        decide(record("f", Status.PUBLISHED), request_fingerprint="g")


def submit(client: TestClient[Any], auth: dict[str, str], key: str, **overrides: Any) -> Any:
    return client.post(
        ORDERS, json=order_body(**overrides), headers={**auth, "Idempotency-Key": key}
    )


def test_a_retry_with_the_same_key_gets_the_first_answer_and_publishes_once(
    client: TestClient[Any], auth: dict[str, str], publisher: FakePublisher, store: FakeStore
) -> None:
    # given an order submitted with an Idempotency-Key
    first = submit(client, auth, "order-1")

    # when the same request is sent again with the same key
    retry = submit(client, auth, "order-1")

    # then the answer is the same order, published once, and the key is marked done
    assert (first.status_code, retry.status_code) == (202, 202)
    assert retry.json() == first.json()
    assert retry.headers["location"] == first.headers["location"]
    assert len(publisher.published) == 1
    stored = store.items[(record_key(OWNER, "order-1"), "ORDERS")]
    assert stored["status"] == "PUBLISHED"
    assert stored["order_id"] == first.json()["orderId"]
    assert stored["event_id"] == str(publisher.published[0].event_id)


def test_the_same_key_with_a_different_body_is_422(
    client: TestClient[Any], auth: dict[str, str], publisher: FakePublisher
) -> None:
    submit(client, auth, "order-2")

    response = submit(client, auth, "order-2", currency="USD")

    assert response.status_code == 422
    assert response.json()["type"].endswith("/idempotency-key-reused")
    assert len(publisher.published) == 1


def test_keys_are_per_tenant(client: TestClient[Any], publisher: FakePublisher) -> None:
    acme = submit(client, bearer(tenant="acme"), "shared-key")
    globex = submit(client, bearer(tenant="globex"), "shared-key")

    assert acme.json()["orderId"] != globex.json()["orderId"]
    assert len(publisher.published) == 2


def test_a_retry_after_a_publish_failure_republishes_the_same_event(
    client: TestClient[Any], auth: dict[str, str], publisher: FakePublisher, store: FakeStore
) -> None:
    # given a first attempt whose publish failed
    publisher.failures = 1
    failed = submit(client, auth, "order-3")
    assert failed.status_code == 503
    pending = store.items[(record_key(OWNER, "order-3"), "ORDERS")]
    assert pending["status"] == "PENDING"

    # when the caller retries with the same key and body
    retry = submit(client, auth, "order-3")

    # then the stored envelope (same event and order id) is published and the key is done
    assert retry.status_code == 202
    [envelope] = publisher.published
    assert str(envelope.event_id) == pending["event_id"]
    assert retry.json()["orderId"] == pending["order_id"]
    assert store.items[(record_key(OWNER, "order-3"), "ORDERS")]["status"] == "PUBLISHED"
    assert (f"ORDER#{pending['order_id']}", "REQUEST") in store.items

    # and a further retry publishes nothing more
    again = submit(client, auth, "order-3")
    assert again.json() == retry.json()
    assert len(publisher.published) == 1


def test_an_expired_key_is_taken_over_by_a_new_request(
    client: TestClient[Any], auth: dict[str, str], publisher: FakePublisher, store: FakeStore
) -> None:
    # given a key whose record outlived its TTL but was not yet deleted
    first = submit(client, auth, "order-4")
    store.items[(record_key(OWNER, "order-4"), "ORDERS")]["ttl"] = 0

    # when it is used again, even for another body
    second = submit(client, auth, "order-4", currency="USD")

    # then it is a new order
    assert second.status_code == 202
    assert second.json()["orderId"] != first.json()["orderId"]
    assert len(publisher.published) == 2


def parsed_record_key(partition_key: str) -> tuple[str, str, str]:
    """The (tenant, caller, key) a partition key was made from: only a one-to-one
    encoding has one."""
    prefix, tenant, caller, key = partition_key.split("#", 3)
    assert prefix == "IDEMPOTENCY"

    def unescaped(part: str) -> str:
        return part.replace("%23", "#").replace("%25", "%")

    return unescaped(tenant), unescaped(caller), key


@settings(max_examples=300)
@given(
    tenant=st.text(st.sampled_from("T#x%2y3"), min_size=1, max_size=8) | st.text(min_size=1),
    caller=st.text(st.sampled_from("a#b%23"), min_size=1, max_size=6),
    key=st.text(st.sampled_from("x#y%23"), min_size=1, max_size=8),
)
def test_every_tenant_caller_and_key_has_a_record_of_its_own(
    tenant: str, caller: str, key: str
) -> None:
    owner = KeyOwner(tenant, caller)
    assert parsed_record_key(record_key(owner, key)) == (tenant, caller, key)


def test_tenants_that_differ_only_by_a_hash_keep_their_keys_apart() -> None:
    assert record_key(KeyOwner("T", "u"), "x#y") != record_key(KeyOwner("T#x", "u"), "y")
    assert record_key(KeyOwner("acme", "alice"), "order-1") == "IDEMPOTENCY#acme#alice#order-1"


def test_two_callers_of_one_tenant_never_share_a_key(
    client: TestClient[Any], publisher: FakePublisher
) -> None:
    # given alice used a key
    alice = client.post(
        "/api/v1/orders",
        json=order_body(),
        headers=bearer(sub="alice") | {"Idempotency-Key": "same-key"},
    )
    # when bob, of the same tenant, happens to use it too
    bob = client.post(
        "/api/v1/orders",
        json=order_body(),
        headers=bearer(sub="bob") | {"Idempotency-Key": "same-key"},
    )
    # then bob's order is his own, not a replay of alice's
    assert (alice.status_code, bob.status_code) == (202, 202)
    assert alice.json()["orderId"] != bob.json()["orderId"]
    assert len(publisher.published) == 2


def test_a_keyed_order_claims_its_key_without_looking_it_up_and_marks_it_with_a_put(
    client: TestClient[Any],
    auth: dict[str, str],
    store: FakeStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given a table whose reads and updates are counted
    calls: list[str] = []

    def counted(name: str) -> Any:
        real = getattr(store, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            return real(*args, **kwargs)

        return call

    for name in ("get", "update"):
        monkeypatch.setattr(store, name, counted(name))

    # when an order is submitted with a key, then retried
    first = submit(client, auth, "order-5")
    retry = submit(client, auth, "order-5")

    # then the claim alone found the first attempt: no read, and no update of the key
    assert retry.json() == first.json()
    assert calls == []
    assert store.items[(record_key(OWNER, "order-5"), "ORDERS")]["status"] == "PUBLISHED"
