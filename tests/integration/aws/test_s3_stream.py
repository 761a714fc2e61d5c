"""The multipart upload sink against S3 on the moto server."""

from __future__ import annotations

import csv
import io
import os
import uuid

import pytest

from conveyor_aws import clients
from conveyor_aws.s3_stream import MIN_PART_SIZE_BYTES, MultipartUpload

pytestmark = pytest.mark.integration

CONTENT_TYPE = "text/csv; charset=utf-8"


class Boom(RuntimeError):
    pass


@pytest.fixture
def bucket(aws: dict[str, str]) -> str:
    return aws["EXPORTS_BUCKET"]


def a_key() -> str:
    return f"tests/s3-stream/{uuid.uuid4()}.bin"


def download(bucket: str, key: str) -> tuple[bytes, str]:
    response = clients.s3().get_object(Bucket=bucket, Key=key)
    return response["Body"].read(), response["ContentType"]


def open_uploads(bucket: str, key: str) -> list[str]:
    response = clients.s3().list_multipart_uploads(Bucket=bucket, Prefix=key)
    return [upload["Key"] for upload in response.get("Uploads", [])]


def object_keys(bucket: str, key: str) -> list[str]:
    response = clients.s3().list_objects_v2(Bucket=bucket, Prefix=key)
    return [item["Key"] for item in response.get("Contents", [])]


def fail_inside(upload: MultipartUpload) -> None:
    with upload:
        raise Boom


def test_an_empty_file_is_a_valid_empty_object(bucket: str) -> None:
    # given an upload nothing is written to
    key = a_key()

    # when it completes
    with MultipartUpload(bucket=bucket, key=key, content_type=CONTENT_TYPE) as upload:
        pass

    # then an empty object with the content type exists
    assert upload.tell() == 0
    assert download(bucket, key) == (b"", CONTENT_TYPE)


def test_a_file_smaller_than_a_part_round_trips(bucket: str) -> None:
    # given
    key = a_key()
    payload = os.urandom(100_000)

    # when
    with MultipartUpload(bucket=bucket, key=key, content_type=CONTENT_TYPE) as upload:
        written = upload.write(payload)

    # then
    assert written == len(payload)
    assert upload.complete() == len(payload)
    assert download(bucket, key) == (payload, CONTENT_TYPE)


@pytest.mark.parametrize("parts_in_flight", [0, 1, 3])
def test_a_file_of_several_parts_round_trips_in_order(bucket: str, parts_in_flight: int) -> None:
    # given about 2.4 parts of random bytes, written in uneven pieces
    key = a_key()
    payload = os.urandom(MIN_PART_SIZE_BYTES * 2 + 2_000_003)
    pieces = [payload[i : i + 65_537] for i in range(0, len(payload), 65_537)]

    # when
    upload = MultipartUpload(
        bucket=bucket,
        key=key,
        content_type=CONTENT_TYPE,
        part_size_bytes=MIN_PART_SIZE_BYTES,
        parts_in_flight=parts_in_flight,
    )
    with upload:
        for piece in pieces:
            upload.write(piece)
        assert upload.tell() == len(payload)
    size = upload.complete()

    # then the object is exactly the bytes written, from three parts
    assert size == len(payload)
    body, content_type = download(bucket, key)
    assert body == payload
    assert content_type == CONTENT_TYPE
    # A multipart object's ETag ends with its part count.
    assert clients.s3().head_object(Bucket=bucket, Key=key)["ETag"].endswith('-3"')
    assert open_uploads(bucket, key) == []


def test_a_text_writer_can_write_through_the_sink(bucket: str) -> None:
    # given a csv writer over a text wrapper over the upload
    key = a_key()
    rows = [["id", "name"], ["1", 'says "hi"\nand leaves']]

    # when
    with MultipartUpload(bucket=bucket, key=key, content_type=CONTENT_TYPE) as upload:
        text = io.TextIOWrapper(upload, encoding="utf-8", newline="")  # type: ignore[type-var]
        csv.writer(text).writerows(rows)
        text.flush()
        text.detach()

    # then
    body, _ = download(bucket, key)
    assert list(csv.reader(io.StringIO(body.decode()))) == rows


@pytest.mark.parametrize("parts_in_flight", [0, 2])
def test_a_failure_after_parts_were_uploaded_leaves_nothing(
    bucket: str, parts_in_flight: int
) -> None:
    # given an upload that has sent two parts already
    key = a_key()
    upload = MultipartUpload(
        bucket=bucket,
        key=key,
        content_type=CONTENT_TYPE,
        part_size_bytes=MIN_PART_SIZE_BYTES,
        parts_in_flight=parts_in_flight,
    )

    upload.write(os.urandom(MIN_PART_SIZE_BYTES))
    upload.write(os.urandom(MIN_PART_SIZE_BYTES))
    assert open_uploads(bucket, key) == [key]

    # when the writer fails
    with pytest.raises(Boom):
        fail_inside(upload)

    # then the multipart upload is gone and no object exists
    assert open_uploads(bucket, key) == []
    assert object_keys(bucket, key) == []


def test_a_failure_before_the_first_part_leaves_nothing(bucket: str) -> None:
    # given
    key = a_key()

    upload = MultipartUpload(bucket=bucket, key=key, content_type=CONTENT_TYPE)
    upload.write(b"a,b\n")

    # when
    with pytest.raises(Boom):
        fail_inside(upload)

    # then
    assert open_uploads(bucket, key) == []
    assert object_keys(bucket, key) == []


def test_a_failed_completion_aborts_the_upload(aws: dict[str, str]) -> None:
    # given an upload into a bucket that does not exist
    key = a_key()
    upload = MultipartUpload(
        bucket=f"missing-{uuid.uuid4().hex[:12]}", key=key, content_type=CONTENT_TYPE
    )

    # when it completes
    with pytest.raises(clients.s3().exceptions.NoSuchBucket):
        upload.complete()

    # then writing again is refused
    with pytest.raises(ValueError, match="finished"):
        upload.write(b"x")


def test_parts_smaller_than_s3_allows_are_refused(bucket: str) -> None:
    with pytest.raises(ValueError, match="part_size_bytes"):
        MultipartUpload(bucket=bucket, key=a_key(), content_type=CONTENT_TYPE, part_size_bytes=1024)
