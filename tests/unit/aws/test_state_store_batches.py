"""StateStore's batched puts: unprocessed puts are sent again, and a failed retry fails
only the puts it carried, never those already written."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError

from conveyor_aws import state_store
from conveyor_aws.state_store import StateStore


class Dynamo:
    """BatchWriteItem answers in turn: a list of keys left unprocessed, or an exception."""

    def __init__(self, *answers: list[str] | BaseException) -> None:
        self.answers = list(answers)
        self.sent: list[list[str]] = []

    def batch_write_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:  # noqa: N803
        [(table, requests)] = RequestItems.items()
        self.sent.append([r["PutRequest"]["Item"]["pk"]["S"] for r in requests])
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        left = [r for r in requests if r["PutRequest"]["Item"]["pk"]["S"] in answer]
        return {"UnprocessedItems": {table: left} if left else {}}


@pytest.fixture(autouse=True)
def no_back_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(state_store, "UNPROCESSED_FIRST_DELAY_SECONDS", 0.001)


def puts(store: StateStore, keys: list[str]) -> list[Any]:
    items = [state_store._Put((k, "s"), {"pk": {"S": k}, "sk": {"S": "s"}}) for k in keys]
    return list(store._put_batch(items))


def test_unprocessed_puts_are_sent_again_until_written() -> None:
    dynamo = Dynamo(["b"], [])
    store = StateStore(table="t", client=dynamo)  # type: ignore[arg-type]

    assert puts(store, ["a", "b", "c"]) == [None, None, None]
    assert dynamo.sent == [["a", "b", "c"], ["b"]]


def test_a_failed_retry_fails_only_the_puts_still_unwritten() -> None:
    down = EndpointConnectionError(endpoint_url="http://dynamodb")
    dynamo = Dynamo(["b"], down)
    store = StateStore(table="t", client=dynamo)  # type: ignore[arg-type]

    outcomes = puts(store, ["a", "b", "c"])

    assert outcomes[0] is None
    assert outcomes[2] is None
    assert outcomes[1] is down


def test_puts_left_unprocessed_every_time_fail_as_throttled() -> None:
    dynamo = Dynamo(*([["a"]] * (state_store.UNPROCESSED_ATTEMPTS + 1)))
    store = StateStore(table="t", client=dynamo)  # type: ignore[arg-type]

    [outcome] = puts(store, ["a"])

    assert outcome.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
    assert len(dynamo.sent) == state_store.UNPROCESSED_ATTEMPTS + 1
