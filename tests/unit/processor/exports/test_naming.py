"""An export file's name: a safe slug of its title, or its resource and time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from conveyor_processor.exports.naming import MAX_FILE_NAME_LENGTH, content_disposition, file_name

NOW = datetime(2026, 6, 1, 12, 30, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Q2 orders", "q2-orders"),
        ("  Ventes d'été / 2026!  ", "ventes-d-ete-2026"),
        ("../../etc/passwd", "etc-passwd"),
        ("order_items", "order_items"),
    ],
)
def test_a_title_becomes_a_safe_slug(title: str, expected: str) -> None:
    assert file_name(title=title, resource="orders", requested_at=NOW) == expected


@pytest.mark.parametrize("title", [None, "", "🙂 !!"])
def test_without_a_usable_title_the_resource_and_time_name_the_file(title: str | None) -> None:
    name = file_name(title=title, resource="order_items", requested_at=NOW)
    assert name == "order_items-20260601-123005"


def test_a_long_title_is_cut_without_a_trailing_hyphen() -> None:
    name = file_name(title="word " * 40, resource="orders", requested_at=NOW)
    assert len(name) <= MAX_FILE_NAME_LENGTH
    assert not name.endswith("-")


def test_the_download_is_named_as_an_attachment() -> None:
    assert content_disposition("q2.csv") == 'attachment; filename="q2.csv"'
