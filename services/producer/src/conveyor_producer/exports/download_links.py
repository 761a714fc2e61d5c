"""Presigned download links to export files in the exports bucket."""

from __future__ import annotations

from conveyor_producer.links.signer import S3FileSigner


class S3LinkSigner:
    def __init__(self, *, bucket: str) -> None:
        self._bucket = bucket
        self._files = S3FileSigner()

    def download_url(self, object_key: str, *, expires_in_seconds: int) -> str:
        return self._files.download_url(
            self._bucket, object_key, expires_in_seconds=expires_in_seconds
        )
