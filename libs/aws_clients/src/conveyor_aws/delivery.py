"""What happens to a message whose handler failed: retried later, or parked in the DLQ.

Pure decisions, so they can be tested without a queue; the broker applies them.

- transient (see conveyor_aws.failures): retried with exponential backoff from
  1 s, doubling to a cap of 30 s, for 6 hours after the message first failed.
  A database failover or an AWS outage of minutes never parks a message.
- permanent: parked at once, with the reason.
- unexpected (most likely a bug): retried twice quickly, then parked.

Every retry is a new SQS message carrying its history in message attributes,
so SQS's own receive count (and its redrive after 3 receives) never grows
with retries.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import dramatiq

from conveyor_aws.failures import FailureKind, classify

# SQS cannot delay a message longer than this.
MAX_SQS_DELAY_MS = 900 * 1_000
# SQS message attributes hold at most 256 KiB in all; a reason needs far less.
MAX_REASON_LENGTH = 1_000
_MS_PER_HOUR = 3_600_000


@dataclass(frozen=True)
class RetryPolicy:
    transient_min_backoff_ms: int = 1_000
    transient_max_backoff_ms: int = 30_000
    # How long after its first failure a message keeps being retried for transient errors.
    transient_window_ms: int = 6 * _MS_PER_HOUR
    unexpected_retries: int = 2
    unexpected_min_backoff_ms: int = 1_000

    def __post_init__(self) -> None:
        if not 0 < self.transient_min_backoff_ms <= self.transient_max_backoff_ms:
            raise ValueError("backoffs must be positive and min <= max")
        if self.transient_max_backoff_ms > MAX_SQS_DELAY_MS:
            raise ValueError("SQS cannot delay a message longer than 900 s")


DEFAULT_POLICY = RetryPolicy()


class Postpone(dramatiq.Retry):
    """Not a failure: the message must come back later, as it is. Raised by a handler
    that finds its work held by someone else (a job's lease), so that this delivery is
    still there if the holder dies. Its history is unchanged, and dramatiq does not log
    it as an error."""

    def __init__(self, reason: str, *, delay_seconds: int) -> None:
        self.delay_seconds = delay_seconds
        super().__init__(f"{reason}; back in {delay_seconds} s", delay=delay_seconds * 1_000)


def postponed_delay_ms(postpone: Postpone) -> int:
    """When the postponed message comes back: SQS delays at most 900 s."""
    return max(0, min(postpone.delay_seconds * 1_000, MAX_SQS_DELAY_MS))


class History(NamedTuple):
    """What a message went through so far, carried from one retry to the next."""

    retries: int = 0
    # Milliseconds since the epoch of the first failure; None before any failure.
    first_failure_ms: int | None = None
    unexpected_failures: int = 0


class Decision(NamedTuple):
    kind: FailureKind
    retry: bool
    delay_ms: int
    # One line for logs and the DLQ's conveyor_error attribute.
    reason: str
    # The history the retried message carries.
    history: History


def failure_summary(exc: BaseException) -> str:
    """The exception's type and message on one line (SQLAlchemy's span several)."""
    message = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def decide(
    exc: BaseException,
    history: History,
    *,
    now_ms: int,
    policy: RetryPolicy = DEFAULT_POLICY,
    jitter: Callable[[], float] = random.random,
) -> Decision:
    """Retry or park a message whose handler raised `exc`."""
    kind = classify(exc).kind
    summary = failure_summary(exc)
    first_failure_ms = history.first_failure_ms if history.first_failure_ms is not None else now_ms
    updated = History(
        retries=history.retries + 1,
        first_failure_ms=first_failure_ms,
        unexpected_failures=history.unexpected_failures + (kind is FailureKind.UNEXPECTED),
    )
    if kind is FailureKind.PERMANENT:
        return _park(kind, f"permanent: {summary}", updated)
    if kind is FailureKind.UNEXPECTED:
        return _unexpected(history, updated=updated, summary=summary, policy=policy, jitter=jitter)
    return _transient(
        history,
        updated=updated,
        summary=summary,
        failing_for_ms=now_ms - first_failure_ms,
        policy=policy,
        jitter=jitter,
    )


def _unexpected(
    history: History,
    *,
    updated: History,
    summary: str,
    policy: RetryPolicy,
    jitter: Callable[[], float],
) -> Decision:
    kind = FailureKind.UNEXPECTED
    if history.unexpected_failures >= policy.unexpected_retries:
        tries = history.unexpected_failures + 1
        return _park(kind, f"unexpected, failed {tries} times: {summary}", updated)
    delay = _backoff(
        history.unexpected_failures,
        policy.unexpected_min_backoff_ms,
        policy.transient_max_backoff_ms,
        jitter,
    )
    return Decision(kind, True, delay, f"unexpected: {summary}", updated)


def _transient(
    history: History,
    *,
    updated: History,
    summary: str,
    failing_for_ms: int,
    policy: RetryPolicy,
    jitter: Callable[[], float],
) -> Decision:
    kind = FailureKind.TRANSIENT
    if failing_for_ms >= policy.transient_window_ms:
        hours = policy.transient_window_ms / _MS_PER_HOUR
        return _park(kind, f"transient, still failing after {hours:g} h: {summary}", updated)
    delay = _backoff(
        history.retries,
        policy.transient_min_backoff_ms,
        policy.transient_max_backoff_ms,
        jitter,
    )
    return Decision(kind, True, delay, f"transient: {summary}", updated)


def _park(kind: FailureKind, reason: str, history: History) -> Decision:
    return Decision(kind, False, 0, reason[:MAX_REASON_LENGTH], history)


def _backoff(attempt: int, min_ms: int, max_ms: int, jitter: Callable[[], float]) -> int:
    """min_ms doubling per attempt, capped; the last quarter is jittered so that
    messages failed together by one outage do not all come back at once."""
    base: int = min(max_ms, min_ms * 2 ** min(attempt, 32))
    return min(MAX_SQS_DELAY_MS, base - int(base * 0.25 * jitter()))


def history_from_options(options: Mapping[str, Any]) -> History:
    first = options.get("conveyor_first_failure_ms")
    return History(
        retries=int(options.get("retries", 0)),
        first_failure_ms=int(first) if first is not None else None,
        unexpected_failures=int(options.get("conveyor_unexpected_failures", 0)),
    )


def history_options(history: History) -> dict[str, Any]:
    """The message options that carry a history (see history_from_options)."""
    options: dict[str, Any] = {
        "retries": history.retries,
        "conveyor_unexpected_failures": history.unexpected_failures,
    }
    if history.first_failure_ms is not None:
        options["conveyor_first_failure_ms"] = history.first_failure_ms
    return options
