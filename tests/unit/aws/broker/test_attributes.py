"""A message's history and fate in SQS message attributes."""

from __future__ import annotations

from conveyor_aws.broker.attributes import (
    ERROR_ATTRIBUTE,
    FIRST_FAILURE_ATTRIBUTE,
    history_from_attributes,
    parked_attributes,
    retry_attributes,
)
from conveyor_aws.delivery import History
from conveyor_aws.publisher import EVENT_TYPE_ATTRIBUTE


def test_a_retry_carries_its_event_type_and_its_history_to_the_next_delivery() -> None:
    history = History(retries=3, first_failure_ms=1_234, unexpected_failures=1)

    attributes = retry_attributes("OrderSubmitted", history)

    assert attributes[EVENT_TYPE_ATTRIBUTE] == {
        "DataType": "String",
        "StringValue": "OrderSubmitted",
    }
    assert history_from_attributes(attributes) == history


def test_a_first_delivery_has_no_history_and_sends_no_first_failure() -> None:
    assert FIRST_FAILURE_ATTRIBUTE not in retry_attributes("OrderSubmitted", History())
    assert history_from_attributes({}) == History()


def test_a_parked_message_says_why_in_one_bounded_attribute() -> None:
    attributes = parked_attributes(event_type=None, reason="x" * 5_000)

    assert set(attributes) == {ERROR_ATTRIBUTE}
    assert len(attributes[ERROR_ATTRIBUTE]["StringValue"]) == 1_000
