"""Import e-mails end to end: SNS topic, notifier queue, in-process worker, moto's SES."""

from __future__ import annotations

import html
import urllib.request
import uuid

import pytest
from tests.integration.notifier.test_orders import (
    emails_to,
    queue_depth,
    running_worker,
    unique_recipient,
    wait_until,
)
from tests.unit.notifier.conftest import file_failed, file_processed, hrefs

from conveyor_aws import clients
from conveyor_aws.publisher import EventPublisher
from conveyor_aws.resources import ResourceNames
from conveyor_common.imports.model import EMAIL_LINK_TTL_SECONDS, error_report_key
from conveyor_devstack.moto_server import MotoServer
from conveyor_notifier.settings import NotifierSettings

pytestmark = pytest.mark.integration

TENANT = "tenant-int"
REPORT_CONTENT = (
    b"line,orderId,field,code,message,orderId,customerId\r\n"
    b"3,ORD-2,currency,unknown-currency,unknown currency 'XXX',ORD-2,cust-1\r\n"
)


def _presigned_error_report(bucket: str) -> str:
    """A link to a real error report in the bucket, as the processor would mail it."""
    key = error_report_key(TENANT, uuid.uuid4())
    s3 = clients.s3()
    s3.put_object(Bucket=bucket, Key=key, Body=REPORT_CONTENT, ContentType="text/csv")
    return s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=EMAIL_LINK_TTL_SECONDS
    )


def test_import_emails_carry_a_working_report_link_or_the_reason_and_are_sent_once(
    aws: dict[str, str], moto_server: MotoServer
) -> None:
    # given a notifier worker, and a processed file with a rejected row and a failed file
    settings = NotifierSettings(skip_ses=False)
    publisher = EventPublisher(topic_arn=aws["EVENTS_TOPIC_ARN"])
    processed_to, failed_to = unique_recipient(), unique_recipient()
    processed = file_processed(
        original_name="may <orders>.csv",
        notify=(processed_to,),
        rows_total=3,
        rows_imported=2,
        rows_unchanged=0,
        rows_rejected=1,
        error_report_url=_presigned_error_report(aws["EXPORTS_BUCKET"]),
    )
    failed = file_failed(notify=(failed_to,), reason='unknown header column "<total>"')
    with running_worker(settings):
        # when both events are published to the topic
        publisher.publish(processed)
        publisher.publish(failed)

        # then each uploader receives one e-mail
        wait_until(
            lambda: bool(
                emails_to(moto_server, processed_to) and emails_to(moto_server, failed_to)
            ),
            what="both import e-mails",
        )
        [processed_email] = emails_to(moto_server, processed_to)
        [failed_email] = emails_to(moto_server, failed_to)

        # and the processed one names the file, escaped, and gives the counts
        assert processed_email.subject == 'Your file "may <orders>.csv" was imported'
        assert "may &lt;orders&gt;.csv" in processed_email.body
        assert '<th align="left">Rejected</th><td>1</td>' in processed_email.body
        # and links to the error report, which downloads through that link
        [link] = hrefs(processed_email.body)
        assert link == processed.payload.error_report_url
        # The link was just asserted to be the emulator's presigned http URL.
        with urllib.request.urlopen(link) as response:  # noqa: S310
            assert response.read() == REPORT_CONTENT

        # and the failed one gives the reason, escaped
        assert failed_email.subject == 'Your file "orders-may.json" could not be processed'
        assert f"Reason: {failed.payload.reason}" in html.unescape(failed_email.body)
        assert "&lt;total&gt;" in failed_email.body

        # when the same two envelopes are published again and the worker drains the queue
        publisher.publish(processed)
        publisher.publish(failed)
        wait_until(lambda: queue_depth(settings.notifier_queue) == 0, what="the queue to drain")

        # then nothing new is sent and nothing went to the DLQ
        assert len(emails_to(moto_server, processed_to)) == 1
        assert len(emails_to(moto_server, failed_to)) == 1
        assert queue_depth(ResourceNames().dead_letter_queue("notifier")) == 0
