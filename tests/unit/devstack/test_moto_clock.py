"""The devstack emulator's clock for SQS gives moto's own readings, without its cost."""

from __future__ import annotations

from datetime import datetime

import pytest
from moto.core.utils import unix_time, unix_time_millis

from conveyor_devstack.moto_process import now_millis, now_seconds

# Two readings of one clock, taken one after the other on a loaded machine.
TOLERANCE_SECONDS = 1.0


def test_now_reads_the_same_clock_as_moto() -> None:
    before = unix_time()
    ours = now_seconds()
    after = unix_time()

    assert before - TOLERANCE_SECONDS <= ours <= after + TOLERANCE_SECONDS
    assert now_millis() == pytest.approx(unix_time_millis(), abs=TOLERANCE_SECONDS * 1_000)


@pytest.mark.parametrize("moment", [datetime(1970, 1, 1), datetime(2026, 12, 2, 20, 31, 7, 123456)])
def test_a_given_moment_is_converted_as_moto_converts_it(moment: datetime) -> None:
    assert now_seconds(moment) == unix_time(moment)
    assert now_millis(moment) == unix_time_millis(moment)
