"""The exports routes: thin translations between requests and the export service."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, RawBody
from litestar.status_codes import HTTP_202_ACCEPTED

from conveyor_common.exports.model import ExportRequest
from conveyor_common.jobs import JobStatus
from conveyor_producer.exports.requests import EXPORT_EXAMPLE
from conveyor_producer.exports.rules import EXPORTER_ROLE
from conveyor_producer.exports.service import ExportService
from conveyor_producer.exports.views import EXPORTS_PATH, AcceptedExport, ExportPage, ExportView
from conveyor_producer.http.accepted import IdempotencyKey, accepted
from conveyor_producer.http.auth import principal_of, requires_role
from conveyor_producer.http.openapi import with_json_body
from conveyor_producer.http.problems import documented_problems
from conveyor_producer.jobs.endpoints import (
    PageNumber,
    PageSize,
    cancel_answer,
    cancel_responses,
)
from conveyor_producer.jobs.rules import ADMIN_ROLE, DEFAULT_PAGE_SIZE
from conveyor_producer.principal import Principal

may_export = requires_role(EXPORTER_ROLE, ADMIN_ROLE)


class ExportsController(Controller):
    path = EXPORTS_PATH
    tags = ["exports"]  # noqa: RUF012 (Litestar reads it as a class attribute)

    @post(
        "/",
        status_code=HTTP_202_ACCEPTED,
        guards=[may_export],
        summary="Request an export",
        description=(
            "The body is an export request (conveyor_common.exports.model.ExportRequest, "
            "camelCase JSON): resource, format (csv, xlsx, pdf), filters, columns, title, "
            "notify (defaults to the e-mail claim of the token) and includeBom. The matching "
            "rows are counted first: more than 500,000 (CSV, XLSX) or 20,000 (PDF) is 422. "
            "The export is QUEUED at once and built asynchronously; poll the Location URL. "
            "An Idempotency-Key makes retries safe; reusing one for a different body is 422. "
            "Needs the exporter or admin role (403 otherwise)."
        ),
        operation_class=with_json_body(ExportRequest, example=EXPORT_EXAMPLE),
        responses=documented_problems(400, 401, 403, 413, 415, 422, 503),
    )
    async def request_export(
        self,
        request: Request[Principal, str, Any],
        body: RawBody,
        exports: NamedDependency[ExportService],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[AcceptedExport]:
        return await accepted(request, body, exports.request, idempotency_key=idempotency_key)

    @get(
        "/",
        sync_to_thread=True,
        summary="List exports, newest first",
        description=(
            "The caller's own exports (an admin sees every export of the tenant), optionally "
            "of one status. The list is fed by the processor's catalogue and can lag the point "
            "read (GET /api/v1/exports/{id}) by a moment; it carries no download links, and "
            "progressPercentage is null while an export is running. A query parameter out "
            "of its range is 400 naming it."
        ),
        responses=documented_problems(400, 401, 503),
    )
    def list_exports(
        self,
        request: Request[Principal, str, Any],
        exports: NamedDependency[ExportService],
        status: FromQuery[JobStatus | None] = None,
        page: PageNumber = 1,
        limit: PageSize = DEFAULT_PAGE_SIZE,
    ) -> ExportPage:
        return exports.list(principal=principal_of(request), status=status, page=page, limit=limit)

    @get(
        "/{export_id:uuid}",
        sync_to_thread=True,
        summary="Read an export's status",
        description=(
            "The live state. A completed export carries a freshly presigned downloadUrl, "
            "valid for an hour. An export past its expiresAt is 410 Gone."
        ),
        responses=documented_problems(400, 401, 404, 410, 503),
    )
    def read_export(
        self,
        request: Request[Principal, str, Any],
        export_id: FromPath[uuid.UUID],
        exports: NamedDependency[ExportService],
    ) -> ExportView:
        return exports.get(export_id, principal=principal_of(request))

    @post(
        "/{export_id:uuid}/cancel",
        status_code=HTTP_202_ACCEPTED,
        sync_to_thread=True,
        guards=[may_export],
        summary="Cancel an export",
        description=(
            "A queued export is CANCELLED at once; a running one is flagged and its worker "
            "stops, leaving no file (202). Cancelling a cancelled export answers 200; a "
            "completed or failed one is 409. Needs the exporter or admin role (403 otherwise)."
        ),
        responses=cancel_responses(ExportView, 400, 401, 403, 404, 409, 410, 503),
    )
    def cancel_export(
        self,
        request: Request[Principal, str, Any],
        export_id: FromPath[uuid.UUID],
        exports: NamedDependency[ExportService],
    ) -> Response[ExportView]:
        return cancel_answer(exports.cancel(export_id, principal=principal_of(request)))
