"""Accepting a request once: record it, then publish its event; Idempotency-Key aware.

Orders and exports are both accepted this way. Without a key, a request whose
event could not be published is withdrawn, since nobody can retry it. With a
key, the first attempt's envelope is kept with the key: a retry after a 503
publishes that very envelope (same event id, same subject), and a retry after
success just gets the first answer again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

import msgspec

from conveyor_aws.clients import deadline
from conveyor_common.envelope import Envelope, Event, decode, encode, wrap
from conveyor_common.errors import FieldError, ValidationFailed
from conveyor_common.log import get_logger
from conveyor_producer.aws_budget import WITHDRAW_BUDGET_SECONDS
from conveyor_producer.dependencies import EVENT_BUS, STATE_STORE, dependency
from conveyor_producer.errors import DependencyUnavailable
from conveyor_producer.idempotency import (
    Decision,
    IdempotencyRecord,
    Status,
    check_key,
    decide,
    expires_at,
)
from conveyor_producer.idempotency_store import IdempotencyStore, KeyOwner
from conveyor_producer.ports import Publisher

# SNS refuses messages above 256 KiB; such a request could never be delivered.
MAX_EVENT_BYTES = 256 * 1024

logger = get_logger(__name__)


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
    def of(
        cls,
        *,
        tenant_id: str,
        caller: str,
        correlation_id: str,
        idempotency_key: str | None,
        now: datetime,
    ) -> Attempt:
        key = check_key(idempotency_key) if idempotency_key is not None else None
        return cls(
            tenant_id=tenant_id, caller=caller, correlation_id=correlation_id, key=key, now=now
        )

    @property
    def key_owner(self) -> KeyOwner:
        return KeyOwner(self.tenant_id, self.caller)


@dataclass(frozen=True)
class Submission(Generic[AnswerT]):
    """A new request, ready to be accepted: its event and the answer it gets."""

    event: Event
    subject_id: str
    answer: AnswerT


@dataclass(frozen=True)
class Acceptance:
    """How one kind of request is recorded, and withdrawn when its event is not published."""

    record: Callable[[Envelope], object]
    withdraw: Callable[[Envelope], object]
    # The request field blamed when the event would be too large to publish.
    bulky_field: str


def encoded_within_limit(envelope: Envelope, *, field: str) -> str:
    encoded = encode(envelope)
    if len(encoded) > MAX_EVENT_BYTES:
        raise ValidationFailed([FieldError(field, "the request is too large to accept")])
    return encoded.decode()


class Submitter:
    def __init__(self, *, keys: IdempotencyStore, publisher: Publisher) -> None:
        self._keys = keys
        self._publisher = publisher

    def submit(
        self,
        prepare: Callable[[], Submission[AnswerT]],
        acceptance: Acceptance,
        attempt: Attempt,
        *,
        request_fingerprint: str,
        answer_type: type[AnswerT],
    ) -> AnswerT:
        """The answer for this request; `prepare` runs only when no earlier attempt answers."""
        owner, key, now = attempt.key_owner, attempt.key, attempt.now
        if key is None:
            submission = prepare()
            envelope = self._envelope(submission, attempt)
            encoded_within_limit(envelope, field=acceptance.bulky_field)
            self._accept(envelope, acceptance, withdraw_on_failure=True)
            return submission.answer

        with dependency(STATE_STORE):
            stored = self._keys.find(owner, key, now=now)
        if stored is None:
            submission = prepare()
            envelope = self._envelope(submission, attempt)
            record = IdempotencyRecord(
                fingerprint=request_fingerprint,
                subject_id=submission.subject_id,
                event_id=str(envelope.event_id),
                envelope=encoded_within_limit(envelope, field=acceptance.bulky_field),
                status=Status.PENDING,
                response=msgspec.to_builtins(submission.answer),
                ttl=expires_at(now),
            )
            with dependency(STATE_STORE):
                stored = self._keys.claim(owner, key, record, now=now)
            if stored is None:
                self._accept(envelope, acceptance, withdraw_on_failure=False)
                self._mark_published(owner, key, record.subject_id)
                return submission.answer

        first_answer = msgspec.convert(stored.response, answer_type)
        if decide(stored, request_fingerprint=request_fingerprint) is Decision.REPLAY:
            logger.info("idempotent replay", subject_id=stored.subject_id)
            return first_answer
        logger.info("republishing pending request", subject_id=stored.subject_id)
        self._accept(decode(stored.envelope), acceptance, withdraw_on_failure=False)
        self._mark_published(owner, key, stored.subject_id)
        return first_answer

    @staticmethod
    def _envelope(submission: Submission[AnswerT], attempt: Attempt) -> Envelope:
        return wrap(
            submission.event,
            tenant_id=attempt.tenant_id,
            correlation_id=attempt.correlation_id,
            occurred_at=attempt.now,
        )

    def _accept(
        self, envelope: Envelope, acceptance: Acceptance, *, withdraw_on_failure: bool
    ) -> None:
        """Record the request, then publish its event."""
        with dependency(STATE_STORE):
            acceptance.record(envelope)
        try:
            with dependency(EVENT_BUS):
                self._publisher.publish(envelope)
        except DependencyUnavailable:
            if withdraw_on_failure:
                self._withdraw(envelope, acceptance)
            raise
        logger.info(
            "request accepted", event_type=envelope.event_type, event_id=str(envelope.event_id)
        )

    def _withdraw(self, envelope: Envelope, acceptance: Acceptance) -> None:
        # Without an idempotency key nobody can retry it, so it must not look accepted.
        # A slow publish may have spent the request's AWS budget: this gets a little more.
        try:
            with deadline(WITHDRAW_BUDGET_SECONDS), dependency(STATE_STORE):
                acceptance.withdraw(envelope)
        except DependencyUnavailable:
            logger.warning(
                "could not withdraw unpublished request", event_id=str(envelope.event_id)
            )

    def _mark_published(self, owner: KeyOwner, key: str, subject_id: str) -> None:
        try:
            with dependency(STATE_STORE):
                self._keys.mark_published(owner, key)
        except DependencyUnavailable:
            # The event is out; a retry would only republish the same event id.
            logger.warning("could not mark idempotency key published", subject_id=subject_id)
