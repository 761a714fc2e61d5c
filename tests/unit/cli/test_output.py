"""The CLI's text output: tables, `label: value` lines, ages and sizes."""

from __future__ import annotations

import pytest

from conveyor_cli import output
from conveyor_cli.queue_stats import QueueStats
from conveyor_cli.queues import queues_table


def test_a_table_aligns_text_left_and_numbers_right() -> None:
    text = output.table(
        ["QUEUE", "WAITING", "DLQ"],
        [["conveyor-processor", 3, None], ["conveyor-notifier", 120, "conveyor-notifier-dlq"]],
    )

    assert text.splitlines() == [
        "QUEUE               WAITING  DLQ",
        "conveyor-processor        3  -",
        "conveyor-notifier       120  conveyor-notifier-dlq",
    ]


def test_a_table_without_rows_is_its_header() -> None:
    assert output.table(["ID", "STATUS"], []) == "ID  STATUS"


def test_fields_are_aligned_and_leave_out_what_is_missing() -> None:
    text = output.fields([("id", "e-1"), ("error", None), ("requested by", "ops"), ("x", "")])

    assert text.splitlines() == ["id:           e-1", "requested by: ops"]


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (None, "-"),
        (0, "0s"),
        (42.9, "42s"),
        (303, "5m 03s"),
        (3 * 3600 + 7 * 60 + 5, "3h 07m"),
        (2 * 86_400 + 4 * 3600, "2d 04h"),
        (-3, "0s"),
    ],
)
def test_ages_read_as_people_say_them(seconds: float | None, shown: str) -> None:
    assert output.age(seconds) == shown


@pytest.mark.parametrize(
    ("count", "shown"),
    [
        (None, "-"),
        (0, "0 B"),
        (1023, "1023 B"),
        (1536, "1.5 KiB"),
        (5 * 1024**2, "5.0 MiB"),
        (3 * 1024**3, "3.0 GiB"),
        (5000 * 1024**3, "5000.0 GiB"),
    ],
)
def test_sizes_use_the_largest_unit_that_fits(count: int | None, shown: str) -> None:
    assert output.size(count) == shown


def test_cells_show_booleans_as_words() -> None:
    assert [output.cell(True), output.cell(False), output.cell(0)] == ["yes", "no", "0"]


def test_the_queues_table_shows_unknown_ages_and_queues_without_a_dlq() -> None:
    stats = [
        QueueStats(
            name="conveyor-processor",
            waiting=4,
            in_flight=1,
            delayed=0,
            dlq_name="conveyor-processor-dlq",
            dlq_depth=2,
            oldest_age_seconds=75.0,
            dlq_oldest_age_seconds=None,
        ),
        QueueStats(
            name="scratch",
            waiting=0,
            in_flight=0,
            delayed=0,
            dlq_name=None,
            dlq_depth=None,
            oldest_age_seconds=None,
            dlq_oldest_age_seconds=None,
        ),
    ]

    assert queues_table(stats).splitlines() == [
        "QUEUE               WAITING  IN FLIGHT  DELAYED  OLDEST  DLQ                     "
        "DLQ DEPTH  DLQ OLDEST",
        "conveyor-processor        4          1        0  1m 15s  conveyor-processor-dlq  "
        "        2  -",
        "scratch                   0          0        0  -       -                       "
        "        -  -",
    ]
