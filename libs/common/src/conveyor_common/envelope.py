"""The versioned JSON envelope every event travels in.

Events are plain JSON on the wire so that any SNS or SQS consumer can read
them; the payload is decoded into its typed struct only once the envelope
names a known event type.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

import msgspec


class Event(msgspec.Struct, frozen=True, kw_only=True):
    """Base of every event payload. Subclasses name their wire type and version."""

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1


class Envelope(msgspec.Struct, frozen=True, kw_only=True):
    event_id: uuid.UUID
    event_type: str
    schema_version: int
    occurred_at: datetime
    correlation_id: str
    tenant_id: str
    payload: Event


class _WireEnvelope(msgspec.Struct, frozen=True, kw_only=True):
    """The envelope with its payload still undecoded, to route before decoding."""

    event_id: uuid.UUID
    event_type: str
    schema_version: int
    occurred_at: datetime
    correlation_id: str
    tenant_id: str
    payload: msgspec.Raw


class InvalidEnvelope(ValueError):
    """The bytes are not an envelope of a known event type and version."""


_REGISTRY: dict[str, type[Event]] = {}


def register(event_cls: type[Event]) -> type[Event]:
    """Class decorator: make an event type decodable from the wire."""
    existing = _REGISTRY.get(event_cls.event_type)
    if existing is not None and existing is not event_cls:
        raise ValueError(f"event type {event_cls.event_type!r} is registered twice")
    _REGISTRY[event_cls.event_type] = event_cls
    return event_cls


def registered_event_types() -> dict[str, type[Event]]:
    return dict(_REGISTRY)


def wrap(
    payload: Event,
    *,
    tenant_id: str,
    correlation_id: str,
    event_id: uuid.UUID | None = None,
    occurred_at: datetime | None = None,
) -> Envelope:
    return Envelope(
        event_id=event_id or uuid.uuid4(),
        event_type=payload.event_type,
        schema_version=payload.schema_version,
        occurred_at=occurred_at or datetime.now(UTC),
        correlation_id=correlation_id,
        tenant_id=tenant_id,
        payload=payload,
    )


_encoder = msgspec.json.Encoder()
_wire_decoder = msgspec.json.Decoder(_WireEnvelope)


def encode(envelope: Envelope) -> bytes:
    return _encoder.encode(envelope)


def peek_event_type(data: bytes | str) -> str:
    """The event type of an envelope, without decoding its payload."""
    return _decode_wire(data).event_type


def decode(data: bytes | str) -> Envelope:
    wire = _decode_wire(data)
    event_cls = _REGISTRY.get(wire.event_type)
    if event_cls is None:
        raise InvalidEnvelope(f"unknown event type {wire.event_type!r}")
    if wire.schema_version != event_cls.schema_version:
        raise InvalidEnvelope(
            f"{wire.event_type} schema version {wire.schema_version} is not supported "
            f"(expected {event_cls.schema_version})"
        )
    try:
        payload = msgspec.json.decode(wire.payload, type=event_cls)
    except msgspec.DecodeError as exc:
        raise InvalidEnvelope(f"invalid {wire.event_type} payload: {exc}") from exc
    return Envelope(
        event_id=wire.event_id,
        event_type=wire.event_type,
        schema_version=wire.schema_version,
        occurred_at=wire.occurred_at,
        correlation_id=wire.correlation_id,
        tenant_id=wire.tenant_id,
        payload=payload,
    )


def _decode_wire(data: bytes | str) -> _WireEnvelope:
    try:
        return _wire_decoder.decode(data)
    except msgspec.DecodeError as exc:
        raise InvalidEnvelope(f"not an event envelope: {exc}") from exc


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
