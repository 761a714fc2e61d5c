"""Presigned GET URLs for any file the API hands out, saved under the key's last part."""

from __future__ import annotations

import posixpath

from conveyor_aws import clients


class S3FileSigner:
    def download_url(self, bucket: str, key: str, *, expires_in_seconds: int) -> str:
        """Signed locally (no request is made); the browser saves the file under its name."""
        file_name = posixpath.basename(key).replace('"', "")
        return clients.s3().generate_presigned_url(
            "get_object",
            Params={
                "Bucket": bucket,
                "Key": key,
                "ResponseContentDisposition": f'attachment; filename="{file_name}"',
            },
            ExpiresIn=expires_in_seconds,
        )
