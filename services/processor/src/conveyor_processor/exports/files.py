"""Export files in S3: streamed in by multipart upload, handed out by lasting link,
and the uploads of killed attempts aborted."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from conveyor_aws import clients
from conveyor_aws.s3_stream import DEFAULT_PART_SIZE_BYTES, MultipartUpload
from conveyor_processor.exports.naming import content_disposition
from conveyor_processor.jobs.email_links import EmailLinks

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# Another worker (a stale owner, or a concurrent cleanup) aborted it first.
_GONE_CODES = frozenset({"NoSuchUpload", "404"})


class S3ExportFiles:
    def __init__(
        self,
        *,
        bucket: str,
        links: EmailLinks,
        part_size_bytes: int = DEFAULT_PART_SIZE_BYTES,
        client: S3Client | None = None,
    ) -> None:
        self._bucket = bucket
        self._links = links
        self._part_size_bytes = part_size_bytes
        self._client = client

    def open(self, key: str, *, content_type: str, file_name: str) -> MultipartUpload:
        return MultipartUpload(
            bucket=self._bucket,
            key=key,
            content_type=content_type,
            content_disposition=content_disposition(file_name),
            part_size_bytes=self._part_size_bytes,
            client=self._client,
        )

    def abort_uploads(self, prefix: str) -> int:
        if not prefix:
            raise ValueError("an empty prefix would abort every upload in the bucket")
        client = self._client or clients.s3()
        aborted = 0
        pages = client.get_paginator("list_multipart_uploads").paginate(
            Bucket=self._bucket, Prefix=prefix
        )
        for page in pages:
            for upload in page.get("Uploads", []):
                try:
                    client.abort_multipart_upload(
                        Bucket=self._bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                    )
                except ClientError as exc:
                    if exc.response.get("Error", {}).get("Code") not in _GONE_CODES:
                        raise
                    continue
                aborted += 1
        return aborted

    def link(self, key: str, *, expires_at: datetime) -> str:
        return self._links.to(self._bucket, key, expires_at=expires_at)
