"""An uploaded file's name kept as one clean path segment (conveyor_common.imports.model)."""

from __future__ import annotations

import unicodedata

import pytest

from conveyor_common.imports.model import MAX_FILE_NAME_LENGTH, safe_file_name


@pytest.mark.parametrize(
    ("original", "kept"),
    [
        ("orders.csv", "orders.csv"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\x.csv", "x.csv"),
        ("a\x00b\x07.csv", "ab.csv"),
        ("evil\u202egpj.csv", "evilgpj.csv"),
        ("a\u200bb\ufeff.csv", "ab.csv"),
        ("a\u2028b\u2029.csv", "ab.csv"),
        ("a\ud800b\ue000.csv", "ab.csv"),
        ("my\u00a0orders.csv", "my\u00a0orders.csv"),
        ("  \u3000orders.csv.\u00a0", "orders.csv"),
        ('a<b>:"c"|?*.csv', "abc.csv"),
    ],
)
def test_a_name_keeps_no_path_and_no_invisible_characters(original: str, kept: str) -> None:
    assert safe_file_name(original) == kept


@pytest.mark.parametrize("original", ["", "   ", "..", "....", "/", "\u00a0", "\u3000", "\u2028"])
def test_a_name_of_nothing_visible_is_upload(original: str) -> None:
    assert safe_file_name(original) == "upload"


def test_a_long_name_is_cut_and_does_not_end_on_a_space_or_a_dot() -> None:
    assert safe_file_name("a" * 4000 + ".csv") == "a" * MAX_FILE_NAME_LENGTH
    assert safe_file_name("a" * (MAX_FILE_NAME_LENGTH - 1) + " .b") == "a" * 199


def test_no_character_of_a_dropped_category_is_ever_kept() -> None:
    dropped = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}

    kept = {char for code in range(0x10000) for char in safe_file_name(f"a{chr(code)}b")}

    assert not {unicodedata.category(char) for char in kept} & dropped
