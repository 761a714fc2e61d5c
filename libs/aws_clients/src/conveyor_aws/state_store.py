"""A thin DynamoDB adapter over the single `pk`/`sk` state table.

Items are plain dicts of str, int, bool, None or nested lists/dicts; numbers
come back as int. Conditional writes give the at-most-once marks and claims.
Plain puts from concurrent callers go out together, up to 25 a BatchWriteItem
(conveyor_aws.group_commit); each caller still learns its own write's fate.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol, cast

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from conveyor_aws import clients
from conveyor_aws.clients import time_left
from conveyor_aws.group_commit import GroupCommit, Outcomes
from conveyor_aws.update_expression import UpdateExpression

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Item = dict[str, Any]

# DynamoDB takes at most 25 puts a BatchWriteItem, none two to the same key.
MAX_BATCH_PUTS = 25
# At most this many BatchWriteItem calls in flight at once: one, as for publishes
# (conveyor_aws.publisher.DEFAULT_SENDERS).
DEFAULT_PUT_SENDERS = 1
BATCH_OPERATION = "BatchWriteItem"
# Puts DynamoDB left unprocessed (throttled) are sent again this many times, after
# a back-off doubling from the first delay, while the caller's deadline allows.
UNPROCESSED_ATTEMPTS = 5
UNPROCESSED_FIRST_DELAY_SECONDS = 0.05

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_wire(item: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _serializer.serialize(value) for key, value in item.items()}


def from_wire(item: Mapping[str, Any]) -> Item:
    return {key: _plain(_deserializer.deserialize(value)) for key, value in item.items()}


def _key_of(item: Mapping[str, Any]) -> tuple[str, str]:
    return item["pk"]["S"], item["sk"]["S"]


def _throttled() -> ClientError:
    """A put DynamoDB kept leaving unprocessed, raised to its caller as a throttled call."""
    return ClientError(
        {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "unprocessed"}},
        BATCH_OPERATION,
    )


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class ItemStore(Protocol):
    """What StateStore offers its users; unit tests pass an in-memory fake."""

    def get(self, pk: str, sk: str) -> Item | None: ...

    def put(self, pk: str, sk: str, attributes: Mapping[str, Any]) -> None: ...

    async def put_async(self, pk: str, sk: str, attributes: Mapping[str, Any]) -> None: ...

    def put_if_absent(self, pk: str, sk: str, attributes: Mapping[str, Any]) -> bool: ...

    def create_or_get(self, pk: str, sk: str, attributes: Mapping[str, Any]) -> Item | None: ...

    def put_unless(
        self, pk: str, sk: str, attributes: Mapping[str, Any], *, name: str, value: Any
    ) -> bool: ...

    def update(self, pk: str, sk: str, attributes: Mapping[str, Any]) -> None: ...

    def delete(self, pk: str, sk: str) -> None: ...


@dataclass(frozen=True)
class _Put:
    key: tuple[str, str]
    item: dict[str, Any]


def _fits(batch: list[_Put], put: _Put) -> bool:
    return all(other.key != put.key for other in batch)


class StateStore:
    def __init__(
        self,
        *,
        table: str,
        client: DynamoDBClient | None = None,
        put_senders: int = DEFAULT_PUT_SENDERS,
    ) -> None:
        self.table = table
        self._client = client
        self._puts: GroupCommit[_Put, None] = GroupCommit(
            self._put_batch,
            operation=BATCH_OPERATION,
            max_items=MAX_BATCH_PUTS,
            senders=put_senders,
            fits=_fits,
        )

    @property
    def client(self) -> DynamoDBClient:
        return self._client or clients.dynamodb()

    def get(self, pk: str, sk: str) -> Item | None:
        response = self.client.get_item(
            TableName=self.table, Key=to_wire({"pk": pk, "sk": sk}), ConsistentRead=True
        )
        item = response.get("Item")
        return from_wire(item) if item else None

    def put(self, pk: str, sk: str, attributes: Mapping[str, Any]) -> None:
        """Write the item, replacing any with its key; batched with concurrent puts."""
        self._puts.submit(_Put((pk, sk), to_wire({**attributes, "pk": pk, "sk": sk})))

    async def put_async(self, pk: str, sk: str, attributes: Mapping[str, Any]) -> None:
        """`put` for a coroutine: the event loop goes on while the batch is out."""
        await self._puts.submit_async(_Put((pk, sk), to_wire({**attributes, "pk": pk, "sk": sk})))

    def put_if_absent(self, pk: str, sk: str, attributes: Mapping[str, Any]) -> bool:
        """Write only if no item has this key; False means someone else wrote it first."""
        try:
            self.client.put_item(
                TableName=self.table,
                Item=to_wire({**attributes, "pk": pk, "sk": sk}),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def create_or_get(self, pk: str, sk: str, attributes: Mapping[str, Any]) -> Item | None:
        """Write only if no item has this key: None once written, else the item that has
        it, read by the same call (one round trip where a read, then a write, took two)."""
        try:
            self.client.put_item(
                TableName=self.table,
                Item=to_wire({**attributes, "pk": pk, "sk": sk}),
                ConditionExpression="attribute_not_exists(pk)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except self.client.exceptions.ConditionalCheckFailedException as exc:
            # The type stubs of the error's response lack the item it carries.
            return from_wire(cast("dict[str, Any]", exc.response)["Item"])
        return None

    def put_unless(
        self, pk: str, sk: str, attributes: Mapping[str, Any], *, name: str, value: Any
    ) -> bool:
        """Write unless the item exists with `name` equal to `value`; False if it does."""
        try:
            self.client.put_item(
                TableName=self.table,
                Item=to_wire({**attributes, "pk": pk, "sk": sk}),
                ConditionExpression="attribute_not_exists(pk) OR #n <> :v",
                ExpressionAttributeNames={"#n": name},
                ExpressionAttributeValues=to_wire({":v": value}),
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def update(self, pk: str, sk: str, attributes: Mapping[str, Any]) -> None:
        """Set the given attributes on an item (creating it if needed)."""
        update = UpdateExpression().set_all(attributes)
        self.client.update_item(**self._update_arguments(pk, sk, update))

    def update_existing(self, pk: str, sk: str, update: UpdateExpression) -> Item | None:
        """Apply an update to an existing item if its condition holds; the item as it now
        is, or None when the item is missing or the condition failed."""
        exists = f"attribute_exists({update.name('pk')})"
        condition = f"{exists} AND ({update.condition})" if update.condition else exists
        try:
            response = self.client.update_item(
                **self._update_arguments(pk, sk, update),
                ConditionExpression=condition,
                ReturnValues="ALL_NEW",
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return None
        return from_wire(response["Attributes"])

    def _put_batch(self, puts: list[_Put]) -> Outcomes[None]:
        """One BatchWriteItem, then the puts it left unprocessed again, with back-off.
        A failed first call fails every put; a failed retry only those it carried."""
        waiting = self._write(puts)
        failure: BaseException = _throttled()
        delay = UNPROCESSED_FIRST_DELAY_SECONDS
        for _ in range(UNPROCESSED_ATTEMPTS):
            left = time_left()
            if not waiting or (left is not None and left < 2 * delay):
                break
            time.sleep(delay)
            delay *= 2
            try:
                waiting = self._write(waiting)
            except Exception as exc:  # the others were written: theirs is only this
                failure = exc
                break
        unwritten = {put.key for put in waiting}
        return [failure if put.key in unwritten else None for put in puts]

    def _write(self, puts: list[_Put]) -> list[_Put]:
        """Send `puts` in one BatchWriteItem; those DynamoDB left unprocessed."""
        response = self.client.batch_write_item(
            RequestItems={self.table: [{"PutRequest": {"Item": put.item}} for put in puts]}
        )
        unprocessed = response.get("UnprocessedItems", {}).get(self.table, [])
        left_keys = {_key_of(request["PutRequest"]["Item"]) for request in unprocessed}
        return [put for put in puts if put.key in left_keys]

    def _update_arguments(self, pk: str, sk: str, update: UpdateExpression) -> dict[str, Any]:
        arguments: dict[str, Any] = {
            "TableName": self.table,
            "Key": to_wire({"pk": pk, "sk": sk}),
            "UpdateExpression": update.expression,
            "ExpressionAttributeNames": update.names,
        }
        if update.values:
            arguments["ExpressionAttributeValues"] = to_wire(update.values)
        return arguments

    def delete(self, pk: str, sk: str) -> None:
        self.client.delete_item(TableName=self.table, Key=to_wire({"pk": pk, "sk": sk}))
