"""Presigned download links to export files in the exports bucket."""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING

from conveyor_aws import clients

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class S3LinkSigner:
    def __init__(self, *, bucket: str, client: S3Client | None = None) -> None:
        self._bucket = bucket
        self._client = client

    def download_url(self, object_key: str, *, expires_in_seconds: int) -> str:
        """Signed locally (no request is made); the browser saves the file under its name."""
        client = self._client or clients.s3()
        file_name = posixpath.basename(object_key).replace('"', "")
        return client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self._bucket,
                "Key": object_key,
                "ResponseContentDisposition": f'attachment; filename="{file_name}"',
            },
            ExpiresIn=expires_in_seconds,
        )
