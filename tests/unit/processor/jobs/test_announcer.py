"""Outcome events keep one id per job and outcome, whichever delivery publishes them."""

from __future__ import annotations

import uuid

from conveyor_common.jobs import JobStatus
from conveyor_processor.jobs.announcer import outcome_event_id


def test_an_outcome_keeps_its_event_id_across_publications() -> None:
    job_id = uuid.uuid4()
    completed = outcome_event_id(job_id, JobStatus.COMPLETED)
    assert completed == outcome_event_id(job_id, JobStatus.COMPLETED)
    assert completed != outcome_event_id(job_id, JobStatus.FAILED)
    assert completed != outcome_event_id(uuid.uuid4(), JobStatus.COMPLETED)


def test_the_ids_are_those_already_published() -> None:
    # Events announced before a deploy are republished after it under the same ids.
    job_id = uuid.UUID("6f1c3a52-1d6e-4f43-9a5e-0f4b7c1e2d3a")
    assert outcome_event_id(job_id, JobStatus.COMPLETED) == uuid.uuid5(job_id, "completed")
    assert outcome_event_id(job_id, JobStatus.FAILED) == uuid.uuid5(job_id, "failed")
