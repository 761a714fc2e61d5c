"""A loopback endpoint answering the producer's SNS and DynamoDB calls at once.

    uv run python bench/instant_aws.py PORT

bench/orders.py points the producer's AWS_ENDPOINT_URL_SNS and AWS_ENDPOINT_URL_DYNAMODB
here to measure the API's own cost: boto3 still signs, sends and parses every call, but
nothing is stored, so it answers in microseconds where moto takes milliseconds. It knows
the operations the order path and the readiness probe make (PublishBatch and
BatchWriteItem, their single forms, GetTopicAttributes, DescribeTable) and refuses
any other with a 400.

Plain asyncio on uvloop, no framework: it must cost far less than the API it serves.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from urllib.parse import parse_qsl

import uvloop

DYNAMODB_TARGET = b"dynamodb_20120810."
SNS_ACTION = b"Action="
SNS_XMLNS = "http://sns.amazonaws.com/doc/2010-03-31/"
BATCH_ENTRIES = "PublishBatchRequestEntries.member."


def _sns(operation: str, result: str) -> tuple[bytes, bytes]:
    return b"text/xml", (
        f'<{operation}Response xmlns="{SNS_XMLNS}"><{operation}Result>{result}'
        f"</{operation}Result><ResponseMetadata><RequestId>instant</RequestId>"
        f"</ResponseMetadata></{operation}Response>"
    ).encode()


def answer(head: bytes, body: bytes) -> tuple[int, bytes, bytes]:
    """Status, content type and body for one request (its head lower-cased)."""
    target = _header(head, b"x-amz-target")
    if target is not None:
        operation = target.removeprefix(DYNAMODB_TARGET)
        if operation == b"putitem":
            return 200, b"application/x-amz-json-1.0", b"{}"
        if operation == b"batchwriteitem":
            return 200, b"application/x-amz-json-1.0", b'{"UnprocessedItems":{}}'

        if operation == b"describetable":
            table = b'{"Table":{"TableName":"instant","TableStatus":"ACTIVE"}}'
            return 200, b"application/x-amz-json-1.0", table
    elif body.startswith(SNS_ACTION + b"Publish&"):
        return 200, *_sns("Publish", f"<MessageId>{uuid.uuid4()}</MessageId>")
    elif body.startswith(SNS_ACTION + b"PublishBatch&"):
        return 200, *_sns("PublishBatch", _published(body))
    elif body.startswith(SNS_ACTION + b"GetTopicAttributes&"):
        return 200, *_sns("GetTopicAttributes", "<Attributes/>")
    return 400, b"text/plain", b"unknown operation"


def _published(body: bytes) -> str:
    """A PublishBatch result: every entry of the request published."""
    ids = [
        value
        for name, value in parse_qsl(body.decode())
        if name.startswith(BATCH_ENTRIES) and name.endswith(".Id")
    ]
    members = "".join(
        f"<member><Id>{entry_id}</Id><MessageId>{uuid.uuid4()}</MessageId></member>"
        for entry_id in ids
    )
    return f"<Successful>{members}</Successful><Failed/>"


class InstantAws(asyncio.Protocol):
    """HTTP/1.1 with keep-alive and Content-Length bodies: what botocore sends."""

    def __init__(self) -> None:
        self._buffer = b""
        self._transport: asyncio.WriteTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's TCP transport is no subclass of asyncio's, only of its interface.
        self._transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while (end := self._buffer.find(b"\r\n\r\n")) >= 0:
            head = self._buffer[:end].lower()
            length = int(_header(head, b"content-length") or 0)
            if len(self._buffer) < end + 4 + length:
                return
            body = self._buffer[end + 4 : end + 4 + length]
            self._buffer = self._buffer[end + 4 + length :]
            self._respond(*answer(head, body))

    def _respond(self, status: int, content_type: bytes, body: bytes) -> None:
        assert self._transport is not None
        reason = b"OK" if status == 200 else b"Bad Request"
        self._transport.write(
            b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s"
            % (status, reason, content_type, len(body), body)
        )


def _header(head: bytes, name: bytes) -> bytes | None:
    """The value of header `name` in a lower-cased request head, if it is there."""
    start = head.find(b"\r\n" + name + b":")
    if start < 0:
        return None
    start += len(name) + 3
    end = head.find(b"\r\n", start)
    return head[start : end if end >= 0 else len(head)].strip()


async def main(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(InstantAws, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    uvloop.run(main(int(sys.argv[1])))
