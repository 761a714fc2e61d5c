"""Uploaded files and their error reports in S3: the upload streamed in chunks, the
report streamed out by multipart upload and handed out by lasting link."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from conveyor_aws import clients
from conveyor_aws.s3_stream import DEFAULT_PART_SIZE_BYTES, MultipartUpload
from conveyor_processor.imports.source import Readable
from conveyor_processor.jobs.email_links import EmailLinks

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

REPORT_CONTENT_TYPE = "text/csv; charset=utf-8"
_GONE_CODES = frozenset({"NoSuchUpload", "404"})


class S3ImportFiles:
    """Each error report is kept beside its upload, in the upload's bucket."""

    def __init__(
        self,
        *,
        links: EmailLinks,
        part_size_bytes: int = DEFAULT_PART_SIZE_BYTES,
        client: S3Client | None = None,
    ) -> None:
        self._links = links
        self._part_size_bytes = part_size_bytes
        self._client = client

    @property
    def client(self) -> S3Client:
        return self._client or clients.s3()

    def open_upload(self, bucket: str, key: str) -> Readable:
        body: Readable = self.client.get_object(Bucket=bucket, Key=key)["Body"]
        return body

    def open_report(self, bucket: str, key: str) -> MultipartUpload:
        return MultipartUpload(
            bucket=bucket,
            key=key,
            content_type=REPORT_CONTENT_TYPE,
            content_disposition='attachment; filename="errors.csv"',
            part_size_bytes=self._part_size_bytes,
            client=self._client,
        )

    def abort_uploads(self, bucket: str, prefix: str) -> int:
        if not prefix:
            raise ValueError("an empty prefix would abort every upload in the bucket")
        aborted = 0
        pages = self.client.get_paginator("list_multipart_uploads").paginate(
            Bucket=bucket, Prefix=prefix
        )
        for page in pages:
            for upload in page.get("Uploads", []):
                try:
                    self.client.abort_multipart_upload(
                        Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                    )
                except ClientError as exc:
                    if exc.response.get("Error", {}).get("Code") not in _GONE_CODES:
                        raise
                    continue
                aborted += 1
        return aborted

    def link(self, bucket: str, key: str, *, expires_at: datetime) -> str:
        return self._links.to(bucket, key, expires_at=expires_at)
