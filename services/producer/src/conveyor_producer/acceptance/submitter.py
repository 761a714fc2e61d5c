"""Accepting a request once: record it, then publish its event; Idempotency-Key aware.

Every feature whose requests are answered 202 is accepted this way. Without a
key, a request whose event could not be published is withdrawn, since nobody can
retry it. With a key, the first attempt's envelope is kept with the key: a retry
after a 503 publishes that very envelope (same event id, same subject), and a
retry after success just gets the first answer again.

Coroutines: requests are accepted on the API's event loop, so an accepted order costs
no handler thread. Its writes and its publish join the batch calls that the AWS
adapters' sender threads make (conveyor_aws.group_commit); what blocks otherwise (a
conditional write, a feature's own preparation) runs in a handler thread.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

import msgspec

from conveyor_aws.clients import deadline
from conveyor_common.envelope import Envelope, Event, decode, encode, wrap
from conveyor_common.errors import FieldError, ValidationFailed
from conveyor_common.log import get_logger
from conveyor_producer.acceptance.idempotency import (
    Decision,
    IdempotencyRecord,
    Status,
    check_key,
    decide,
    expires_at,
)
from conveyor_producer.acceptance.idempotency_store import IdempotencyStore, KeyOwner
from conveyor_producer.acceptance.ports import Publisher
from conveyor_producer.outages import EVENT_BUS, STATE_STORE, DependencyUnavailable, outages_of
from conveyor_producer.principal import Principal

# SNS refuses messages above 256 KiB; such a request could never be delivered.
MAX_EVENT_BYTES = 256 * 1024
# Undoing the record of a request whose event could not be published, after a failure
# that may have spent the request's AWS budget (conveyor_producer.http.aws_budget).
WITHDRAW_BUDGET_SECONDS = 1.0

logger = get_logger(__name__)
# The standard library's logger behind `logger`, whose level decides what is written.
_levels = logging.getLogger(__name__)


AnswerT = TypeVar("AnswerT", bound=msgspec.Struct)


@dataclass(frozen=True)
class Attempt:
    """One HTTP attempt at a request: who sent it, under which correlation and key, when."""

    tenant_id: str
    # The token's subject: an idempotency key is this caller's own.
    caller: str
    correlation_id: str
    key: str | None
    now: datetime

    @classmethod
    def by(
        cls,
        principal: Principal,
        *,
        correlation_id: str,
        idempotency_key: str | None,
        now: datetime,
    ) -> Attempt:
        key = check_key(idempotency_key) if idempotency_key is not None else None
        return cls(
            tenant_id=principal.tenant,
            caller=principal.sub,
            correlation_id=correlation_id,
            key=key,
            now=now,
        )

    @property
    def key_owner(self) -> KeyOwner:
        return KeyOwner(self.tenant_id, self.caller)

    def envelope(self, event: Event) -> Envelope:
        """The envelope `event` is published in for this attempt."""
        return wrap(
            event,
            tenant_id=self.tenant_id,
            correlation_id=self.correlation_id,
            occurred_at=self.now,
        )


@dataclass(frozen=True)
class Submission(Generic[AnswerT]):
    """A new request, ready to be accepted: its event and the answer it gets."""

    event: Event
    subject_id: str
    answer: AnswerT


@dataclass(frozen=True)
class Acceptance:
    """How one kind of request is recorded, and withdrawn when its event is not published."""

    record: Callable[[Envelope], Awaitable[object]]
    withdraw: Callable[[Envelope], Awaitable[object]]
    # The request field blamed when the event would be too large to publish.
    bulky_field: str
    # What the feature raises for a request it cannot accept (a 422 of its own).
    invalid: type[ValidationFailed]
    # Whether a keyed request looks for an earlier attempt before `prepare` runs: worth
    # a read when preparing costs more (an upload, a count of rows). Otherwise the claim
    # of the key finds an earlier attempt itself, in the same round trip.
    look_up_first: bool = True

    def encoded(self, envelope: Envelope) -> str:
        """The envelope as published; refused when SNS could never take it."""
        encoded = encode(envelope)
        if len(encoded) > MAX_EVENT_BYTES:
            raise self.invalid([FieldError(self.bulky_field, "the request is too large to accept")])
        return encoded.decode()


class Submitter:
    def __init__(self, *, keys: IdempotencyStore, publisher: Publisher) -> None:
        self._keys = keys
        self._publisher = publisher

    async def submit(
        self,
        prepare: Callable[[], Awaitable[Submission[AnswerT]]],
        acceptance: Acceptance,
        attempt: Attempt,
        *,
        request_fingerprint: Callable[[], str],
        answer_type: type[AnswerT],
    ) -> AnswerT:
        """The answer for this request; `prepare` runs only when no earlier attempt answers.
        `request_fingerprint` runs only for a keyed request: no other is compared."""
        if attempt.key is None:
            return await self._accept_unkeyed(await prepare(), acceptance, attempt)
        same = request_fingerprint()
        earlier = None
        if acceptance.look_up_first:
            with outages_of(STATE_STORE):
                earlier = await self._keys.find(attempt.key_owner, attempt.key, now=attempt.now)
        if earlier is None:
            submission = await prepare()
            earlier = await self._claim_and_accept(
                submission, acceptance, attempt, attempt.key, same
            )
            if earlier is None:
                return submission.answer
        answer = msgspec.convert(earlier.response, answer_type)
        await self._repeat(earlier, acceptance, attempt.key_owner, attempt.key, same)
        return answer

    async def _accept_unkeyed(
        self, submission: Submission[AnswerT], acceptance: Acceptance, attempt: Attempt
    ) -> AnswerT:
        envelope = attempt.envelope(submission.event)
        acceptance.encoded(envelope)
        await self._accept(envelope, acceptance, withdraw_on_failure=True)
        return submission.answer

    async def _claim_and_accept(
        self,
        submission: Submission[AnswerT],
        acceptance: Acceptance,
        attempt: Attempt,
        key: str,
        request_fingerprint: str,
    ) -> IdempotencyRecord | None:
        """Accept the request under `key`; or the record of whoever claimed the key first."""
        envelope = attempt.envelope(submission.event)
        record = IdempotencyRecord(
            fingerprint=request_fingerprint,
            subject_id=submission.subject_id,
            event_id=str(envelope.event_id),
            envelope=acceptance.encoded(envelope),
            status=Status.PENDING,
            response=msgspec.to_builtins(submission.answer),
            ttl=expires_at(attempt.now),
        )
        with outages_of(STATE_STORE):
            earlier = await self._keys.claim(attempt.key_owner, key, record, now=attempt.now)
        if earlier is None:
            await self._accept(envelope, acceptance, withdraw_on_failure=False)
            await self._mark_published(attempt.key_owner, key, record)
        return earlier

    async def _repeat(
        self,
        earlier: IdempotencyRecord,
        acceptance: Acceptance,
        owner: KeyOwner,
        key: str,
        request_fingerprint: str,
    ) -> None:
        """A retry: nothing more to do once published, else publish the first envelope."""
        if decide(earlier, request_fingerprint=request_fingerprint) is Decision.REPLAY:
            logger.info("idempotent replay", subject_id=earlier.subject_id)
            return
        logger.info("republishing pending request", subject_id=earlier.subject_id)
        await self._accept(decode(earlier.envelope), acceptance, withdraw_on_failure=False)
        await self._mark_published(owner, key, earlier)

    async def _accept(
        self, envelope: Envelope, acceptance: Acceptance, *, withdraw_on_failure: bool
    ) -> None:
        """Record the request, then publish its event."""
        with outages_of(STATE_STORE):
            await acceptance.record(envelope)
        try:
            with outages_of(EVENT_BUS):
                await self._publisher.publish_async(envelope)
        except DependencyUnavailable:
            if withdraw_on_failure:
                await self._withdraw(envelope, acceptance)
            raise
        # Debug: one line per accepted request cost about a third of the API's own time
        # (bench/api_overhead.py). Requests are counted by /metrics and traced when
        # tracing is on, and each worker logs the events it handles. Asked first: a line
        # below the level still costs a pass through structlog before the standard library's
        # logger (whose level decides) drops it.
        if _levels.isEnabledFor(logging.DEBUG):
            logger.debug(
                "request accepted",
                event_type=envelope.event_type,
                event_id=str(envelope.event_id),
            )

    async def _withdraw(self, envelope: Envelope, acceptance: Acceptance) -> None:
        # Without an idempotency key nobody can retry it, so it must not look accepted.
        # A slow publish may have spent the request's AWS budget: this gets a little more.
        try:
            with deadline(WITHDRAW_BUDGET_SECONDS), outages_of(STATE_STORE):
                await acceptance.withdraw(envelope)
        except DependencyUnavailable:
            logger.warning(
                "could not withdraw unpublished request", event_id=str(envelope.event_id)
            )

    async def _mark_published(self, owner: KeyOwner, key: str, record: IdempotencyRecord) -> None:
        try:
            with outages_of(STATE_STORE):
                await self._keys.mark_published(owner, key, record)
        except DependencyUnavailable:
            # The event is out; a retry would only republish the same event id.
            logger.warning("could not mark idempotency key published", subject_id=record.subject_id)
