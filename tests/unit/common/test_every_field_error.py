"""Converting a struct field by field names every field's problem, in msgspec's words,
and keeps what did convert."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
import pytest

from conveyor_common.errors import (
    JSON_CONVERSION,
    FieldError,
    convert_each_field,
    data_conversion,
    field_error,
)


class Line(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    sku: str
    unit_count: Annotated[int, msgspec.Meta(ge=1)]


class Doc(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    doc_id: str
    lines: Annotated[list[Line], msgspec.Meta(min_length=1)]
    note: str | None = None


def msgspec_says(data: Any, type_: Any) -> FieldError:
    with pytest.raises(msgspec.ValidationError) as refused:
        msgspec.convert(data, type_)
    return field_error(str(refused.value))


@pytest.mark.parametrize(
    "data",
    [
        {"lines": [{"sku": "a", "unitCount": 1}]},
        {"docId": "d", "lines": [{"sku": "a", "unitCount": 1}], "colour": 1},
        {"docId": "d", "lines": [{"unitCount": 1}]},
        {"docId": "d", "lines": [{"sku": "a", "unitCount": 0}]},
        {"docId": "d", "lines": []},
        {"docId": 5, "lines": [{"sku": "a", "unitCount": 1}]},
        [],
    ],
)
def test_one_problem_is_named_as_msgspec_names_it(data: Any) -> None:
    converted = convert_each_field(data, Doc, data_conversion(strict=True))

    assert converted.errors == [msgspec_says(data, Doc)]


def test_every_problem_is_named_and_what_converted_is_kept() -> None:
    data = b"""{"docId": 7, "note": "n", "extra": true,
        "lines": [{"sku": "a", "unitCount": 1}, {"unitCount": 0}, 3]}"""

    converted = convert_each_field(data, Doc, JSON_CONVERSION)

    assert [(error.field, error.message) for error in converted.errors] == [
        ("extra", "Object contains unknown field `extra`"),
        ("docId", "Expected `str`, got `int`"),
        ("lines[1].sku", "Object missing required field `sku`"),
        ("lines[1].unitCount", "Expected `int` >= 1"),
        ("lines[2]", "Expected `object`, got `int`"),
    ]
    assert converted.fields == {"note": "n", "lines": [Line(sku="a", unit_count=1), {}, None]}


def test_text_cells_are_read_as_numbers_when_not_strict() -> None:
    data = {"docId": "d", "lines": [{"sku": "a", "unitCount": "2"}, {"sku": "b", "unitCount": "x"}]}

    converted = convert_each_field(data, Doc, data_conversion(strict=False))

    assert converted.errors == [FieldError("lines[1].unitCount", "Expected `int`, got `str`")]
