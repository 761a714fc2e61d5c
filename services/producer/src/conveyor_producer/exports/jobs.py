"""What an accepted export request becomes: its ExportRequested event and QUEUED job."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from conveyor_common.envelope import Envelope
from conveyor_common.events import ExportRequested
from conveyor_common.exports.job import ExportJob
from conveyor_common.exports.model import RETENTION_DAYS, ExportRequest
from conveyor_common.jobs import JobStatus
from conveyor_producer.records import copied_fields

# The job's fields the event carries under the same name; the rest are set below.
_FROM_EVENT = tuple(
    name for name in ExportJob.__struct_fields__ if name in ExportRequested.__struct_fields__
)


def requested_event(
    request: ExportRequest,
    export_id: uuid.UUID,
    *,
    requested_by: str,
    count: int,
    now: datetime,
) -> ExportRequested:
    return ExportRequested(
        export_id=export_id,
        requested_by=requested_by,
        resource=request.resource,
        format=request.format,
        title=request.title,
        notify=tuple(request.notify or ()),
        filters=request.filters,
        columns=tuple(request.columns) if request.columns is not None else None,
        include_bom=request.include_bom,
        estimated_row_count=count,
        requested_at=now,
        expires_at=now + timedelta(days=RETENTION_DAYS),
    )


def job_for(envelope: Envelope) -> ExportJob:
    """The QUEUED job an ExportRequested event stands for."""
    event = envelope.of(ExportRequested).payload
    return ExportJob(
        **copied_fields(event, _FROM_EVENT),
        tenant_id=envelope.tenant_id,
        status=JobStatus.QUEUED,
        created_at=event.requested_at,
    )
