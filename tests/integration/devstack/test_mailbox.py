"""The emulator's sent-mail listing, which the tests and the demo read."""

from __future__ import annotations

import os
import uuid

import pytest

from conveyor_devstack.mailbox import captured_emails
from conveyor_devstack.moto_server import MotoServer

pytestmark = pytest.mark.integration

PART_BYTES = 5 * 1024 * 1024


def test_sent_mail_is_listed_even_after_a_multipart_upload(moto_server: MotoServer) -> None:
    # given a completed multipart upload, which breaks moto's own model dump
    s3 = moto_server.client("s3")
    bucket = f"mailbox-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="big")
    parts = []
    for number in (1, 2):
        part = s3.upload_part(
            Bucket=bucket,
            Key="big",
            UploadId=upload["UploadId"],
            PartNumber=number,
            Body=os.urandom(PART_BYTES),
        )
        parts.append({"PartNumber": number, "ETag": part["ETag"]})
    s3.complete_multipart_upload(
        Bucket=bucket, Key="big", UploadId=upload["UploadId"], MultipartUpload={"Parts": parts}
    )

    # when an e-mail is sent
    ses = moto_server.client("ses")
    ses.verify_email_identity(EmailAddress="sender@example.com")
    recipient = f"{uuid.uuid4().hex[:8]}@example.com"
    ses.send_email(
        Source="sender@example.com",
        Destination={"ToAddresses": [recipient]},
        Message={
            "Subject": {"Data": "Listed"},
            "Body": {"Html": {"Data": '<a href="https://x.example">x</a>'}},
        },
    )

    # then the listing shows it, with its HTML body
    [email] = [mail for mail in captured_emails(moto_server.mailbox()) if recipient in mail.to]
    assert (email.subject, email.source) == ("Listed", "sender@example.com")
    assert 'href="https://x.example"' in email.body
