"""JSON log lines: levels below the configured one cost no processing and print nothing."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from conveyor_common.log import configure_logging, correlation, get_logger
from conveyor_common.settings import BaseConfig


@pytest.fixture
def restored_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


class Unprintable(Exception):
    """An error whose formatting the test can see: it must not happen below the level."""

    rendered = 0

    def __str__(self) -> str:
        Unprintable.rendered += 1
        return "unprintable"


@pytest.mark.usefixtures("restored_logging")
def test_lines_below_the_level_are_dropped_before_any_processing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # given logging configured at WARNING
    configure_logging("producer", BaseConfig(log_level="WARNING", log_json=True))
    logger = get_logger("conveyor.test")

    # when an info line and a warning are logged inside a correlation
    with correlation("corr-1"):
        logger.info("dropped", exc_info=Unprintable())
        logger.warning("kept", order_id="o-1")

    # then only the warning is printed, as one JSON line with its context
    lines = capsys.readouterr().err.splitlines()
    assert Unprintable.rendered == 0
    assert len(lines) == 1
    line = json.loads(lines[0])
    assert line["event"] == "kept"
    assert line["level"] == "warning"
    assert line["service"] == "producer"
    assert line["correlation_id"] == "corr-1"
    assert line["order_id"] == "o-1"
