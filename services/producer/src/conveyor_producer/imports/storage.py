"""The private uploads bucket over boto3: streamed uploads, presigned POSTs, HEADs and
presigned links to error reports."""

from __future__ import annotations

from typing import IO

from botocore.exceptions import ClientError

from conveyor_aws import clients
from conveyor_aws.s3_stream import MultipartUpload
from conveyor_producer.imports.ports import PresignedPost, StoredObject

# Read from the spooled upload this much at a time; MultipartUpload gathers full parts.
READ_CHUNK_BYTES = 1024 * 1024
_NOT_FOUND = frozenset({"404", "NoSuchKey", "NotFound"})


class S3Uploads:
    def __init__(self, *, bucket: str) -> None:
        self._bucket = bucket

    @property
    def bucket(self) -> str:
        return self._bucket

    def store(self, source: IO[bytes], *, key: str, content_type: str) -> int:
        # MultipartUpload aborts on any failure: no partial object, no open upload.
        with MultipartUpload(bucket=self._bucket, key=key, content_type=content_type) as upload:
            while chunk := source.read(READ_CHUNK_BYTES):
                upload.write(chunk)
        return upload.tell()

    def presigned_post(
        self, key: str, *, content_type: str, max_size_bytes: int, expires_in_seconds: int
    ) -> PresignedPost:
        """Signed locally: S3 itself refuses another key, type, or a size out of range."""
        signed = clients.s3().generate_presigned_post(
            Bucket=self._bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[
                {"Content-Type": content_type},
                ["content-length-range", 1, max_size_bytes],
            ],
            ExpiresIn=expires_in_seconds,
        )
        return PresignedPost(url=signed["url"], fields=dict(signed["fields"]))

    def stat(self, key: str) -> StoredObject | None:
        try:
            head = clients.s3().head_object(Bucket=self._bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _NOT_FOUND:
                return None
            raise
        return StoredObject(size_bytes=head["ContentLength"], content_type=head.get("ContentType"))

    def download_url(self, key: str, *, expires_in_seconds: int) -> str:
        return clients.s3().generate_presigned_url(
            "get_object",
            Params={"Bucket": self._bucket, "Key": key},
            ExpiresIn=expires_in_seconds,
        )
