"""The versioned JSON envelope every event travels in.

Events are plain JSON on the wire so that any SNS or SQS consumer can read
them; the payload is decoded into its typed struct only once the envelope
names a known event type.

An envelope is typed by its payload: `wrap` returns an `Envelope[ThatEvent]`,
`decode` an `Envelope[Event]` (the bare `Envelope`), which a handler narrows to
the event it takes with `envelope.of(ThatEvent)`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar, Generic, cast

import msgspec
from typing_extensions import TypeVar

from conveyor_common.clock import utc_now


class Event(msgspec.Struct, frozen=True, kw_only=True):
    """Base of every event payload. Subclasses name their wire type and version."""

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1


# The payload's type; an envelope of any event is an `Envelope[Event]`, spelt `Envelope`.
PayloadT = TypeVar("PayloadT", bound=Event, default=Event, covariant=True)
EventT = TypeVar("EventT", bound=Event)


class InvalidEnvelope(ValueError):
    """The bytes are not an envelope of a known event type and version."""

    def __init__(self, reason: str, *, event_type: str | None = None) -> None:
        super().__init__(reason)
        # The type the envelope names, if it could be read: the DLQ records it.
        self.event_type = event_type


class UnexpectedEvent(TypeError):
    """The envelope holds another event than the one its handler takes: a broken
    contract that no redelivery fixes (conveyor_aws.failures parks it)."""


class Envelope(msgspec.Struct, Generic[PayloadT], frozen=True, kw_only=True):
    event_id: uuid.UUID
    event_type: str
    schema_version: int
    occurred_at: datetime
    correlation_id: str
    tenant_id: str
    payload: PayloadT

    def of(self, event_cls: type[EventT]) -> Envelope[EventT]:
        """This envelope, typed as holding `event_cls`; UnexpectedEvent if it does not."""
        if not isinstance(self.payload, event_cls):
            raise UnexpectedEvent(
                f"expected an {event_cls.event_type} envelope, got {self.event_type}"
            )
        # The payload was checked just above: only its static type changes.
        return cast("Envelope[EventT]", self)


class _WireEnvelope(msgspec.Struct, frozen=True, kw_only=True):
    """The envelope with its payload still undecoded, to route before decoding."""

    event_id: uuid.UUID
    event_type: str
    schema_version: int
    occurred_at: datetime
    correlation_id: str
    tenant_id: str
    payload: msgspec.Raw


_REGISTRY: dict[str, type[Event]] = {}


def register(event_cls: type[EventT]) -> type[EventT]:
    """Class decorator: make an event type decodable from the wire."""
    existing = _REGISTRY.get(event_cls.event_type)
    if existing is not None and existing is not event_cls:
        raise ValueError(f"event type {event_cls.event_type!r} is registered twice")
    _REGISTRY[event_cls.event_type] = event_cls
    return event_cls


def wrap(
    payload: EventT,
    *,
    tenant_id: str,
    correlation_id: str,
    event_id: uuid.UUID | None = None,
    occurred_at: datetime | None = None,
) -> Envelope[EventT]:
    return Envelope(
        event_id=event_id or uuid.uuid4(),
        event_type=payload.event_type,
        schema_version=payload.schema_version,
        occurred_at=occurred_at or utc_now(),
        correlation_id=correlation_id,
        tenant_id=tenant_id,
        payload=payload,
    )


_encoder = msgspec.json.Encoder()
_wire_decoder = msgspec.json.Decoder(_WireEnvelope)


def encode(envelope: Envelope) -> bytes:
    return _encoder.encode(envelope)


def decode(data: bytes | str) -> Envelope:
    wire = _decode_wire(data)
    return Envelope(
        event_id=wire.event_id,
        event_type=wire.event_type,
        schema_version=wire.schema_version,
        occurred_at=wire.occurred_at,
        correlation_id=wire.correlation_id,
        tenant_id=wire.tenant_id,
        payload=_decode_payload(wire),
    )


def _decode_wire(data: bytes | str) -> _WireEnvelope:
    try:
        return _wire_decoder.decode(data)
    except msgspec.DecodeError as exc:
        raise InvalidEnvelope(f"not an event envelope: {exc}") from exc


def _decode_payload(wire: _WireEnvelope) -> Event:
    event_type = wire.event_type
    event_cls = _REGISTRY.get(event_type)
    if event_cls is None:
        raise InvalidEnvelope(f"unknown event type {event_type!r}", event_type=event_type)
    if wire.schema_version != event_cls.schema_version:
        raise InvalidEnvelope(
            f"{event_type} schema version {wire.schema_version} is not supported "
            f"(expected {event_cls.schema_version})",
            event_type=event_type,
        )
    try:
        return msgspec.json.decode(wire.payload, type=event_cls)
    except msgspec.DecodeError as exc:
        raise InvalidEnvelope(
            f"invalid {event_type} payload: {exc}", event_type=event_type
        ) from exc


def json_schema() -> dict[str, Any]:
    """JSON Schema of the envelope and every registered payload, kept in the repo."""
    payloads = [_REGISTRY[name] for name in sorted(_REGISTRY)]
    _, components = msgspec.json.schema_components([_WireEnvelope, *payloads])
    envelope_schema = components.pop("_WireEnvelope")
    envelope_schema["title"] = "Envelope"
    envelope_schema["properties"]["payload"] = {
        "oneOf": [{"$ref": f"#/$defs/{cls.__name__}"} for cls in payloads]
    }
    envelope_schema["properties"]["event_type"]["enum"] = sorted(_REGISTRY)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **envelope_schema,
        "$defs": components,
    }
