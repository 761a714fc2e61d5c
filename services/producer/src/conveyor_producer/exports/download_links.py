"""Presigned download links to export files in the exports bucket."""

from __future__ import annotations

import posixpath

from conveyor_aws import clients


class S3LinkSigner:
    def __init__(self, *, bucket: str) -> None:
        self._bucket = bucket

    def download_url(self, object_key: str, *, expires_in_seconds: int) -> str:
        """Signed locally (no request is made); the browser saves the file under its name."""
        file_name = posixpath.basename(object_key).replace('"', "")
        return clients.s3().generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self._bucket,
                "Key": object_key,
                "ResponseContentDisposition": f'attachment; filename="{file_name}"',
            },
            ExpiresIn=expires_in_seconds,
        )
