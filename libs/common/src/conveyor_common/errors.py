"""Domain errors, free of any transport: the edges map them to HTTP or job status."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Annotated, Any, NamedTuple

import msgspec


class FieldError(msgspec.Struct, frozen=True):
    field: str
    message: str


class ValidationFailed(ValueError):
    """Input that is well-formed JSON but breaks a business rule."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))


# msgspec ends a validation message with " - at `$.items[0].sku`" when not at the root.
# A mapping's key is reported as " - at `key` in `$.filters`": the mapping is the field.
_LOCATION = re.compile(r"^(?P<message>.*?)(?: - at (?:`key` in )?`\$(?P<path>[^`]*)`)?$", re.DOTALL)
_NAMED_FIELD = re.compile(r"(?:unknown|required) field `(?P<name>[^`]+)`")


def field_error(message: str) -> FieldError:
    """A msgspec validation message as a field path (as the caller spelled it) and a reason."""
    match = _LOCATION.match(message)
    assert match is not None  # the pattern matches any text
    reason, path = match["message"], (match["path"] or "").lstrip(".")
    named = _NAMED_FIELD.search(reason)
    if named:
        path = f"{path}.{named['name']}" if path else named["name"]
    return FieldError(path, reason)


# --- every field's error -------------------------------------------------------------------
# msgspec stops at the first error of a struct. To name every one, each field is converted
# on its own against the type msgspec declares for it (msgspec.structs.fields), a struct or a
# list of structs member by member; the wording is msgspec's own (a test holds it to it).


class Conversion(NamedTuple):
    """How one form of input (JSON text, Python data) is converted to a type."""

    convert: Callable[[Any, Any], Any]
    # An object's members, and a list of a bounded length, each member or element kept
    # as it is until it is converted on its own.
    members: Any
    bounded_list: Callable[[msgspec.Meta], Any]


def _from_json(value: Any, type_: Any) -> Any:
    return _json_decoder(type_).decode(value)


# JSON text: members and elements kept as raw JSON, so numbers are read from their text.
JSON_CONVERSION = Conversion(
    _from_json, dict[str, msgspec.Raw], lambda bounds: Annotated[list[msgspec.Raw], bounds]
)


def data_conversion(*, strict: bool) -> Conversion:
    """Python data (a mapping of a CSV row's cells, say); `strict=False` reads numbers
    and booleans from their text, as msgspec.convert does."""

    def convert(value: Any, type_: Any) -> Any:
        return msgspec.convert(value, type_, strict=strict)

    return Conversion(convert, dict[str, Any], lambda bounds: Annotated[list[Any], bounds])


class FieldsConverted(NamedTuple):
    """What converted, by attribute name (a list of structs holds, per element, the struct,
    what converted of it, or None), and every field's error."""

    fields: dict[str, Any]
    errors: list[FieldError]


def convert_each_field(
    value: Any, struct_type: type[msgspec.Struct], conversion: Conversion
) -> FieldsConverted:
    """Every field of `value` converted on its own to its type in `struct_type`."""
    errors: list[FieldError] = []
    fields = _struct(value, struct_type, "", conversion, errors)
    return FieldsConverted({} if fields is None else fields, errors)


_FAILED = object()


def _struct(
    value: Any,
    struct_type: type[msgspec.Struct],
    at: str,
    conversion: Conversion,
    errors: list[FieldError],
) -> dict[str, Any] | None:
    try:
        members = conversion.convert(value, conversion.members)
    except msgspec.ValidationError as exc:
        errors.append(_located(at, exc))
        return None
    fields = _fields(struct_type)
    if struct_type.__struct_config__.forbid_unknown_fields:
        known = {field.encode_name for field in fields}
        errors.extend(
            FieldError(_join(at, name), f"Object contains unknown field `{name}`")
            for name in members
            if name not in known
        )
    converted: dict[str, Any] = {}
    for field in fields:
        path = _join(at, field.encode_name)
        if field.encode_name in members:
            member = _member(members[field.encode_name], field.type, path, conversion, errors)
            if member is not _FAILED:
                converted[field.name] = member
        elif field.required:
            errors.append(FieldError(path, f"Object missing required field `{field.encode_name}`"))
    return converted


def _member(
    value: Any, type_: Any, at: str, conversion: Conversion, errors: list[FieldError]
) -> Any:
    """The value as its type; else, for a struct or a list of structs, what converted of
    it; else _FAILED, its error reported."""
    try:
        return conversion.convert(value, type_)
    except msgspec.ValidationError as exc:
        failure = exc
    shape = _shape(type_)
    if isinstance(shape, msgspec.inspect.StructType):
        members = _struct(value, shape.cls, at, conversion, errors)
        return _FAILED if members is None else members
    if isinstance(shape, msgspec.inspect.ListType) and isinstance(
        shape.item_type, msgspec.inspect.StructType
    ):
        return _elements(value, shape, at, conversion, errors)
    errors.append(_located(at, failure))
    return _FAILED


def _elements(
    value: Any,
    shape: msgspec.inspect.ListType,
    at: str,
    conversion: Conversion,
    errors: list[FieldError],
) -> Any:
    """A list of structs element by element, once it is a list of the right length."""
    bounds = msgspec.Meta(min_length=shape.min_length, max_length=shape.max_length)
    try:
        elements = conversion.convert(value, conversion.bounded_list(bounds))
    except msgspec.ValidationError as exc:
        errors.append(_located(at, exc))
        return _FAILED
    item_type = shape.item_type
    assert isinstance(item_type, msgspec.inspect.StructType)
    converted = [
        _member(element, item_type.cls, f"{at}[{index}]", conversion, errors)
        for index, element in enumerate(elements)
    ]
    return [None if element is _FAILED else element for element in converted]


@functools.cache
def _fields(struct_type: type[msgspec.Struct]) -> tuple[msgspec.structs.FieldInfo, ...]:
    return msgspec.structs.fields(struct_type)


@functools.cache
def _shape(type_: Any) -> msgspec.inspect.Type:
    return msgspec.inspect.type_info(type_)


@functools.cache
def _json_decoder(type_: Any) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(type_)


def _located(at: str, exc: msgspec.ValidationError) -> FieldError:
    error = field_error(str(exc))
    return FieldError(_join(at, error.field), error.message)


def _join(at: str, path: str) -> str:
    if not at or not path:
        return at or path
    return f"{at}{path}" if path.startswith("[") else f"{at}.{path}"
