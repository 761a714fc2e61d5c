"""The OpenAPI document: its header, the bearer scheme, and the JSON request bodies.

The POST routes take the raw body so that they can tell broken JSON (400) from
JSON of the wrong shape (422), so Litestar sees no body type to document. The
body's schema is msgspec's own JSON Schema of the request type: the very type
the body is decoded into, with its camelCase names, required fields and bounds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import (
    Components,
    OpenAPIMediaType,
    Operation,
    RequestBody,
    Schema,
    SecurityScheme,
)

JSON_MEDIA_TYPE = "application/json"
# The name the API routes' security requirement refers to.
SECURITY_SCHEME = "BearerToken"
_DEFINITIONS = "$defs"
_REFERENCE = "$ref"


@dataclass
class JsonSchema(Schema):
    """A JSON Schema made elsewhere (by msgspec), served as it is."""

    document: dict[str, Any] = field(default_factory=dict)

    def to_schema(self) -> dict[str, Any]:
        return self.document


def request_schema(request_type: type[msgspec.Struct]) -> dict[str, Any]:
    """msgspec's schema of `request_type` with every `$ref` replaced by what it names.

    msgspec refers to nested types under `$defs`, which would resolve against the
    whole OpenAPI document; inlined, the schema stands on its own.
    """
    generated = msgspec.json.schema(request_type)
    definitions: dict[str, Any] = generated.pop(_DEFINITIONS, {})

    def inline(node: Any, seen: frozenset[str]) -> Any:
        if isinstance(node, list):
            return [inline(item, seen) for item in node]
        if not isinstance(node, dict):
            return node
        reference = node.get(_REFERENCE)
        if isinstance(reference, str):
            name = reference.rsplit("/", 1)[-1]
            if name in seen:
                raise ValueError(f"{name} refers to itself; it cannot be inlined")
            beside = {key: value for key, value in node.items() if key != _REFERENCE}
            return {**inline(definitions[name], seen | {name}), **inline(beside, seen)}
        return {key: inline(value, seen) for key, value in node.items()}

    inlined: dict[str, Any] = inline(generated, frozenset())
    return inlined


def with_json_body(
    request_type: type[msgspec.Struct], *, example: dict[str, Any]
) -> type[Operation]:
    """An Operation class for a route's `operation_class`, documenting its JSON body.

    `example` must be a body the route accepts: it is checked against the type here
    (and the tests post it).
    """
    msgspec.convert(example, request_type)
    document = {**request_schema(request_type), "examples": [example]}
    body = RequestBody(
        required=True,
        description=(request_type.__doc__ or "").strip().splitlines()[0] or None,
        content={JSON_MEDIA_TYPE: OpenAPIMediaType(schema=JsonSchema(document=document))},
    )

    @dataclass
    class OperationWithBody(Operation):
        def __post_init__(self) -> None:
            self.request_body = body

    OperationWithBody.__name__ = f"{request_type.__name__}Operation"
    return OperationWithBody


def openapi_config() -> OpenAPIConfig:
    """The document's header, with the bearer-token scheme the API routes require."""
    return OpenAPIConfig(
        title="Conveyor producer",
        version="1.0.0",
        components=Components(
            security_schemes={
                SECURITY_SCHEME: SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")
            }
        ),
    )
