"""The delivery policy's decisions: retry when and for how long, or park at once."""

from __future__ import annotations

import psycopg
import pytest

from conveyor_aws.delivery import (
    DEFAULT_POLICY,
    History,
    RetryPolicy,
    decide,
    history_from_options,
    history_options,
)
from conveyor_aws.failures import FailureKind
from conveyor_common.envelope import InvalidEnvelope

NOW_MS = 1_750_000_000_000
HOUR_MS = 3_600_000


def no_jitter() -> float:
    return 0.0


def test_transient_failures_back_off_from_1_s_doubling_to_a_30_s_cap() -> None:
    # given a message failing on a database outage, retry after retry
    history = History()
    delays = []
    for _ in range(9):
        decision = decide(
            psycopg.OperationalError("down"), history, now_ms=NOW_MS, jitter=no_jitter
        )
        assert decision.retry
        assert decision.kind is FailureKind.TRANSIENT
        delays.append(decision.delay_ms)
        history = decision.history

    # then the delays double up to the cap, and the first failure time is carried
    assert delays == [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000, 30_000]
    assert history == History(retries=9, first_failure_ms=NOW_MS, unexpected_failures=0)


def test_jitter_only_shortens_a_delay_by_at_most_a_quarter() -> None:
    decision = decide(TimeoutError(), History(retries=10), now_ms=NOW_MS, jitter=lambda: 1.0)
    assert decision.delay_ms == 22_500


def test_an_outage_of_hours_is_retried_until_the_window_ends() -> None:
    # given a message that first failed 5 h 59 min ago and has been retried ever since
    history = History(retries=700, first_failure_ms=NOW_MS - 6 * HOUR_MS + 60_000)

    # then it is still retried
    assert decide(TimeoutError("db"), history, now_ms=NOW_MS).retry

    # and once 6 h have passed it is parked, saying why
    late = decide(TimeoutError("db"), history, now_ms=NOW_MS + 60_000)
    assert not late.retry
    assert late.reason == "transient, still failing after 6 h: TimeoutError: db"


def test_a_permanent_failure_is_parked_at_once_with_its_reason() -> None:
    decision = decide(InvalidEnvelope("bad payload"), History(), now_ms=NOW_MS)
    assert (decision.kind, decision.retry) == (FailureKind.PERMANENT, False)
    assert decision.reason == "permanent: InvalidEnvelope: bad payload"


def test_an_unexpected_failure_is_retried_twice_quickly_then_parked() -> None:
    history = History()
    decisions = []
    for _ in range(3):
        decision = decide(ValueError("bug"), history, now_ms=NOW_MS, jitter=no_jitter)
        decisions.append((decision.retry, decision.delay_ms))
        history = decision.history
    assert decisions == [(True, 1_000), (True, 2_000), (False, 0)]
    assert history.unexpected_failures == 3


def test_transient_failures_do_not_use_up_the_unexpected_retries() -> None:
    history = History(retries=50, first_failure_ms=NOW_MS - HOUR_MS, unexpected_failures=0)
    assert decide(ValueError("bug"), history, now_ms=NOW_MS).retry


def test_a_reason_is_one_bounded_line() -> None:
    decision = decide(InvalidEnvelope("a\nb " + "x" * 5_000), History(), now_ms=NOW_MS)
    assert "\n" not in decision.reason
    assert len(decision.reason) <= 1_000


def test_the_history_round_trips_through_message_options() -> None:
    history = History(retries=3, first_failure_ms=NOW_MS, unexpected_failures=1)
    assert history_from_options(history_options(history)) == history
    assert history_from_options({}) == History()


def test_the_policy_never_delays_longer_than_sqs_can() -> None:
    with pytest.raises(ValueError, match="900"):
        RetryPolicy(transient_max_backoff_ms=901_000)
    assert DEFAULT_POLICY.transient_window_ms == 6 * HOUR_MS
