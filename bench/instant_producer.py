"""The producer as `python -m conveyor_producer` serves it, except that its publisher and
its state table answer at once, in the process: the API's own cost with no AWS client.

    uv run python bench/instant_producer.py

bench/api_overhead.py starts it in the producer's place, with the producer's
environment. Everything else is the real app: the ASGI middleware, JWT verification,
decoding and the order rules, the accepted-order record and the
event envelope built and encoded, logging, the server and its settings. What is gone is
boto3's client side (serialising, signing, sending and parsing each call), which
bench/instant_aws.py keeps.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from typing import Any

from conveyor_aws import clients
from conveyor_aws.order_items import OrderItems
from conveyor_common.envelope import Envelope, encode
from conveyor_common.log import configure_logging
from conveyor_common.settings import load
from conveyor_producer.app import create_app
from conveyor_producer.composition import real_adapters
from conveyor_producer.http.server import serve
from conveyor_producer.settings import ProducerSettings


class InstantPublisher:
    """Encodes the envelope, as the real publisher does, and answers at once."""

    def publish(self, envelope: Envelope) -> str:
        encode(envelope)
        return str(uuid.uuid4())

    async def publish_async(self, envelope: Envelope) -> str:
        return self.publish(envelope)


class InstantTable:
    """A state table that takes every write at once and holds nothing: no request
    reads back what an earlier one wrote in this benchmark."""

    def get(self, pk: str, sk: str) -> dict[str, Any] | None:
        return None

    def put(self, pk: str, sk: str, attributes: Mapping[str, Any]) -> None:
        dict(attributes)

    async def put_async(self, pk: str, sk: str, attributes: Mapping[str, Any]) -> None:
        self.put(pk, sk, attributes)

    def put_if_absent(self, pk: str, sk: str, attributes: Mapping[str, Any]) -> bool:
        return True

    def create_or_get(self, pk: str, sk: str, attributes: Mapping[str, Any]) -> None:
        dict(attributes)

    def put_unless(
        self, pk: str, sk: str, attributes: Mapping[str, Any], *, name: str, value: Any
    ) -> bool:
        return True

    def update(self, pk: str, sk: str, attributes: Mapping[str, Any]) -> None:
        pass

    def delete(self, pk: str, sk: str) -> None:
        pass


def main() -> None:
    settings = load(ProducerSettings)
    configure_logging("producer", settings)
    clients.configure(clients.API_PROFILE.overridden_by(settings))
    table = InstantTable()
    adapters = dataclasses.replace(
        real_adapters(settings),
        publisher=InstantPublisher(),
        state_table=table,
        order_records=OrderItems(table),
    )
    serve(create_app(settings, adapters), host=settings.host, port=settings.port)


if __name__ == "__main__":
    main()
