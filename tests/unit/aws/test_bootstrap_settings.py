"""What the emulator bootstrap reads from its environment."""

from __future__ import annotations

from conveyor_aws.bootstrap import cors_origins


def test_cors_origins_are_read_from_a_list_separated_by_commas() -> None:
    assert cors_origins(" https://a.example , ,http://b.example:8080") == [
        "https://a.example",
        "http://b.example:8080",
    ]
    assert cors_origins(None) == cors_origins("") == []
