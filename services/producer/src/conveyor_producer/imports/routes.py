"""The files routes: thin translations between requests and the file service."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import ClientException
from litestar.params import FromPath, FromQuery, RawBody
from litestar.status_codes import (
    HTTP_201_CREATED,
    HTTP_202_ACCEPTED,
    HTTP_415_UNSUPPORTED_MEDIA_TYPE,
)

from conveyor_common.imports.model import (
    DEFAULT_PRESIGNED_GRACE_SECONDS,
    DEFAULT_PRESIGNED_POST_SECONDS,
    FileType,
)
from conveyor_common.text import MAX_RECIPIENTS
from conveyor_producer.http.accepted import IdempotencyKey, require_json
from conveyor_producer.http.auth import principal_of, requires_role
from conveyor_producer.http.correlation import correlation_id_of
from conveyor_producer.http.openapi import with_json_body
from conveyor_producer.http.problems import documented_problems
from conveyor_producer.http.request_body import streamed_body
from conveyor_producer.imports.form import (
    MAX_PART_HEADER_BYTES,
    MAX_PARTS,
    check_body_size,
    read_form,
)
from conveyor_producer.imports.openapi import MULTIPART_MEDIA_TYPE, UploadOperation
from conveyor_producer.imports.requests import PRESIGNED_EXAMPLE, PresignedUploadRequest
from conveyor_producer.imports.rules import IMPORTER_ROLE
from conveyor_producer.imports.service import FileService
from conveyor_producer.imports.templates import csv_template, json_template
from conveyor_producer.imports.views import (
    FILES_PATH,
    AcceptedFile,
    FilePage,
    FileStatus,
    FileView,
    PresignedUpload,
)
from conveyor_producer.jobs.endpoints import (
    PageNumber,
    PageSize,
    cancel_answer,
    cancel_responses,
)
from conveyor_producer.jobs.rules import ADMIN_ROLE, DEFAULT_PAGE_SIZE
from conveyor_producer.principal import Principal

may_import = requires_role(IMPORTER_ROLE, ADMIN_ROLE)


class FilesController(Controller):
    path = FILES_PATH
    tags = ["files"]  # noqa: RUF012 (Litestar reads it as a class attribute)

    @post(
        "/upload",
        status_code=HTTP_202_ACCEPTED,
        guards=[may_import],
        # The route bounds the body itself, by the upload limit (imports.form).
        request_max_body_size=None,
        summary="Upload a file of orders to import",
        description=(
            "A multipart form: `file` (CSV with a header row, a JSON array of orders, or JSON "
            "Lines; by its declared type, else, for a generic declared type, its extension), "
            "optional `mode` (import, the default, or validate: a dry run) and `notify` "
            f"(at most {MAX_RECIPIENTS} addresses, separated by commas; defaults to the "
            "token's e-mail), each at most once. The file is stored, then imported "
            "asynchronously: poll the Location URL. 413 beyond the upload limit (10 MB by "
            "default; use POST /api/v1/files beyond it), 415 for another type, 400 for an "
            "empty file, no `file` part, a field sent twice, a form beyond its limits "
            f"({MAX_PARTS} parts, {MAX_PART_HEADER_BYTES // 1024} KiB per part header line) "
            "or a broken one, 422 for a bad `mode` or `notify` or a file name that is not "
            "UTF-8. An Idempotency-Key makes retries safe; reusing one with another file "
            "(by SHA-256) is 422. Needs the exporter or admin role."
        ),
        operation_class=UploadOperation,
        responses=documented_problems(400, 401, 403, 413, 415, 422, 503),
    )
    async def upload_file(
        self,
        request: Request[Principal, str, Any],
        files: NamedDependency[FileService],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[AcceptedFile]:
        limit = files.limits.max_upload_bytes
        boundary = _boundary(request)
        check_body_size(request.content_length or 0, max_file_bytes=limit)
        form = await read_form(
            streamed_body(request.receive), boundary=boundary, max_file_bytes=limit
        )
        upload = asyncio.ensure_future(
            files.upload(
                form,
                principal=principal_of(request),
                correlation_id=correlation_id_of(request),
                idempotency_key=idempotency_key,
            )
        )
        try:
            # Shielded: a cancelled request (a server stopping) leaves the upload to end,
            # so that the form is never closed under the thread storing its file.
            answer = await asyncio.shield(upload)
        finally:
            upload.add_done_callback(lambda _: form.close())
        return Response(
            answer, status_code=HTTP_202_ACCEPTED, headers={"Location": answer.location}
        )

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        sync_to_thread=True,
        guards=[may_import],
        summary="Start a presigned upload, for files beyond the upload limit",
        description=(
            "The body names the file: fileName, contentType (text/csv, application/json, "
            "application/x-ndjson), sizeBytes (at most the presigned limit, 1 GiB by "
            "default), mode and notify. The answer is an S3 POST policy: send a multipart "
            "form to `url` with every field of `fields` and then `file`, before expiresAt "
            f"({DEFAULT_PRESIGNED_POST_SECONDS // 60} minutes by default); then POST the "
            "`complete` link. Until then the file is PENDING. A file not completed by "
            "expiresAt plus a grace for an upload still on its way "
            f"({DEFAULT_PRESIGNED_GRACE_SECONDS // 60} minutes by default) is FAILED, and "
            "never imported. "
            "Needs the exporter or admin role."
        ),
        operation_class=with_json_body(PresignedUploadRequest, example=PRESIGNED_EXAMPLE),
        responses=documented_problems(400, 401, 403, 413, 415, 422, 503),
    )
    def presign_upload(
        self,
        request: Request[Principal, str, Any],
        body: RawBody,
        files: NamedDependency[FileService],
    ) -> Response[PresignedUpload]:
        require_json(request)
        answer = files.presign(body, principal=principal_of(request))
        return Response(answer, status_code=HTTP_201_CREATED, headers={"Location": answer.location})

    @post(
        "/{file_id:uuid}/complete",
        status_code=HTTP_202_ACCEPTED,
        guards=[may_import],
        summary="Start importing a presigned upload",
        description=(
            "Checks that the object is stored with the declared type and size (409 when "
            "nothing is stored yet, 422 when it differs), then starts the import once: "
            "completing again answers the same. Taken until expiresAt plus a grace for an "
            "upload still on its way; after that, a file never completed is 410 Gone "
            "(upload-expired) and FAILED: start a new presigned upload. A file cancelled "
            "before it was completed is 409 (import-finished). "
            "Needs the exporter or admin role."
        ),
        responses=documented_problems(400, 401, 403, 404, 409, 410, 422, 503),
    )
    async def complete_upload(
        self,
        request: Request[Principal, str, Any],
        file_id: FromPath[uuid.UUID],
        files: NamedDependency[FileService],
    ) -> Response[AcceptedFile]:
        answer = await files.complete(
            file_id, principal=principal_of(request), correlation_id=correlation_id_of(request)
        )
        return Response(
            answer, status_code=HTTP_202_ACCEPTED, headers={"Location": answer.location}
        )

    @get(
        "/",
        sync_to_thread=True,
        summary="List uploaded files, newest first",
        description=(
            "The caller's own files (an admin sees every file of the tenant), optionally of "
            "one status. The list is fed by the processor's catalogue and can lag the point "
            "read by a moment; it carries no error-report links, and progressPercentage is "
            "null while an import is running. A query parameter out of its range is 400."
        ),
        responses=documented_problems(400, 401, 503),
    )
    def list_files(
        self,
        request: Request[Principal, str, Any],
        files: NamedDependency[FileService],
        status: FromQuery[FileStatus | None] = None,
        page: PageNumber = 1,
        limit: PageSize = DEFAULT_PAGE_SIZE,
    ) -> FilePage:
        return files.list(
            principal=principal_of(request),
            status=status.job_status if status is not None else None,
            page=page,
            limit=limit,
        )

    @get(
        "/{file_id:uuid}",
        sync_to_thread=True,
        summary="Read a file's import",
        description=(
            "The file's record and its import's live state and counts. When rows were "
            "rejected, errorReportUrl is a freshly presigned link to the error report (1 h). "
            "A presigned upload never completed is FAILED once its window has closed "
            "(expiresAt plus a grace), with the reason in errorMessage."
        ),
        responses=documented_problems(400, 401, 404, 503),
    )
    def read_file(
        self,
        request: Request[Principal, str, Any],
        file_id: FromPath[uuid.UUID],
        files: NamedDependency[FileService],
    ) -> FileView:
        return files.get(file_id, principal=principal_of(request))

    @post(
        "/{file_id:uuid}/cancel",
        status_code=HTTP_202_ACCEPTED,
        sync_to_thread=True,
        guards=[may_import],
        summary="Cancel an import",
        description=(
            "A pending import is CANCELLED at once; a running one is flagged and stops, "
            "keeping what it committed (its counts say how much) (202). Cancelling a "
            "cancelled import answers 200; a completed or failed one is 409. Needs the "
            "exporter or admin role."
        ),
        responses=cancel_responses(FileView, 400, 401, 403, 404, 409, 503),
    )
    def cancel_file(
        self,
        request: Request[Principal, str, Any],
        file_id: FromPath[uuid.UUID],
        files: NamedDependency[FileService],
    ) -> Response[FileView]:
        return cancel_answer(files.cancel(file_id, principal=principal_of(request)))

    @get(
        "/template.csv",
        media_type=FileType.CSV.content_type,
        summary="A CSV template",
        description="The expected header and one order (two lines) that imports.",
        responses=documented_problems(401),
    )
    async def csv_template(self) -> Response[bytes]:
        return _attachment(csv_template(), "orders-template.csv", FileType.CSV)

    @get(
        "/template.json",
        media_type=FileType.JSON.content_type,
        summary="A JSON template",
        description="An array of one order that imports: POST /api/v1/orders's body + orderId.",
        responses=documented_problems(401),
    )
    async def json_template(self) -> Response[list[dict[str, Any]]]:
        # Returned as data, so that the OpenAPI document describes it as an array.
        return Response(json_template(), headers=_disposition("orders-template.json"))


def _boundary(request: Request[Any, Any, Any]) -> str:
    media_type, options = request.content_type
    boundary = options.get("boundary")
    if media_type != MULTIPART_MEDIA_TYPE or not boundary:
        raise ClientException(
            f"Content-Type must be {MULTIPART_MEDIA_TYPE} with a boundary",
            status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE,
        )
    return boundary


def _attachment(content: bytes, file_name: str, file_type: FileType) -> Response[bytes]:
    return Response(content, media_type=file_type.content_type, headers=_disposition(file_name))


def _disposition(file_name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{file_name}"'}
