"""Streams bytes into one S3 object by multipart upload, with bounded memory.

Writers (csv, zipfile, COPY blocks) write into a part-sized buffer; each full
buffer is uploaded as a part while the writer goes on filling the next one.
Memory is bounded by the buffer plus the parts in flight.

An object smaller than one part is stored with a single PutObject on completion
(that also covers the empty file). On any failure the multipart upload is
aborted, so no partial object and no open upload is left behind.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor, wait
from types import TracebackType
from typing import TYPE_CHECKING, Any

from conveyor_aws import clients
from conveyor_common.log import get_logger

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

MIB = 1024 * 1024
DEFAULT_PART_SIZE_BYTES = 8 * MIB
# S3 refuses smaller parts except the last one.
MIN_PART_SIZE_BYTES = 5 * MIB
# One part uploading while the writer fills the next: producing and uploading
# overlap, and memory stays at most (1 + this) parts.
DEFAULT_PARTS_IN_FLIGHT = 1

logger = get_logger(__name__)


class MultipartUpload:
    """A write-only, file-like sink for one S3 object; use it as a context manager.

    A clean exit completes the object; an exception aborts the upload.
    """

    def __init__(
        self,
        *,
        bucket: str,
        key: str,
        content_type: str,
        part_size_bytes: int = DEFAULT_PART_SIZE_BYTES,
        parts_in_flight: int = DEFAULT_PARTS_IN_FLIGHT,
        content_disposition: str | None = None,
        client: S3Client | None = None,
    ) -> None:
        if part_size_bytes < MIN_PART_SIZE_BYTES:
            raise ValueError(f"part_size_bytes must be at least {MIN_PART_SIZE_BYTES}")
        if parts_in_flight < 0:
            raise ValueError("parts_in_flight must not be negative")
        self.bucket = bucket
        self.key = key
        self._object_attributes: dict[str, Any] = {"ContentType": content_type}
        if content_disposition is not None:
            self._object_attributes["ContentDisposition"] = content_disposition
        self._part_size_bytes = part_size_bytes
        self._parts_in_flight = parts_in_flight
        self._client = client
        self._buffer = bytearray()
        self._size_bytes = 0
        self._upload_id: str | None = None
        self._pending: list[Future[CompletedPartTypeDef]] = []
        self._parts: list[CompletedPartTypeDef] = []
        self._executor: ThreadPoolExecutor | None = None
        self._finished = False

    @property
    def client(self) -> S3Client:
        return self._client or clients.s3()

    # --- file-like ----------------------------------------------------------------------

    def write(self, data: bytes | bytearray | memoryview) -> int:
        if self._finished:
            raise ValueError("write to a finished upload")
        self._buffer += data
        written = len(data) if not isinstance(data, memoryview) else data.nbytes
        self._size_bytes += written
        if len(self._buffer) >= self._part_size_bytes:
            self._upload_buffer()
        return written

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False

    def seekable(self) -> bool:
        return False

    @property
    def closed(self) -> bool:
        return self._finished

    def flush(self) -> None:
        """Parts go out when full; there is nothing to flush before completion."""

    def tell(self) -> int:
        return self._size_bytes

    # --- life cycle ---------------------------------------------------------------------

    def __enter__(self) -> MultipartUpload:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.complete()
        else:
            self.abort()

    def complete(self) -> int:
        """Store the object; returns its size in bytes. Aborts if that fails."""
        if self._finished:
            return self._size_bytes
        try:
            if self._upload_id is None:
                self.client.put_object(
                    Bucket=self.bucket,
                    Key=self.key,
                    Body=bytes(self._buffer),
                    **self._object_attributes,
                )
            else:
                if self._buffer:
                    self._upload_buffer()
                self._drain(0)
                self.client.complete_multipart_upload(
                    Bucket=self.bucket,
                    Key=self.key,
                    UploadId=self._upload_id,
                    MultipartUpload={"Parts": sorted(self._parts, key=_part_number)},
                )
        except BaseException:
            self.abort()
            raise
        self._close()
        return self._size_bytes

    def abort(self) -> None:
        """Drop everything uploaded so far; safe to call more than once."""
        if self._finished:
            return
        self._close()
        if self._upload_id is None:
            return
        # Parts still uploading could land after the abort; S3 then keeps them.
        wait(self._pending)
        try:
            self.client.abort_multipart_upload(
                Bucket=self.bucket, Key=self.key, UploadId=self._upload_id
            )
        except Exception:
            # The bucket's lifecycle rule removes it within a day; the original error matters more.
            logger.warning(
                "multipart upload abort failed", bucket=self.bucket, key=self.key, exc_info=True
            )

    # --- parts --------------------------------------------------------------------------

    def _upload_buffer(self) -> None:
        if self._upload_id is None:
            response = self.client.create_multipart_upload(
                Bucket=self.bucket, Key=self.key, **self._object_attributes
            )
            self._upload_id = response["UploadId"]
        part_number = len(self._parts) + len(self._pending) + 1
        body, self._buffer = self._buffer, bytearray()
        if self._parts_in_flight == 0:
            self._parts.append(self._upload_part(part_number, body))
            return
        # Wait for a free slot first, so at most parts_in_flight parts are held.
        self._drain(self._parts_in_flight - 1)
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=self._parts_in_flight, thread_name_prefix="s3-part"
            )
        self._pending.append(self._executor.submit(self._upload_part, part_number, body))

    def _upload_part(self, part_number: int, body: bytearray) -> CompletedPartTypeDef:
        assert self._upload_id is not None
        response = self.client.upload_part(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self._upload_id,
            PartNumber=part_number,
            # botocore takes a bytearray as it is; the stubs only name bytes.
            Body=body,  # type: ignore[arg-type]
        )
        return {"PartNumber": part_number, "ETag": response["ETag"]}

    def _drain(self, keep: int) -> None:
        """Wait until at most `keep` parts are in flight; a failed part raises here."""
        while len(self._pending) > keep:
            self._parts.append(self._pending.pop(0).result())

    def _close(self) -> None:
        self._finished = True
        self._buffer = bytearray()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)


def _part_number(part: CompletedPartTypeDef) -> int:
    return part["PartNumber"]
