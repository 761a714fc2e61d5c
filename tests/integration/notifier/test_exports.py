"""Export e-mails end to end: SNS topic, notifier queue, in-process worker, moto's SES."""

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
from tests.unit.notifier.conftest import export_completed, export_failed, hrefs

from conveyor_aws import clients
from conveyor_aws.publisher import EventPublisher
from conveyor_aws.resources import ResourceNames
from conveyor_common.exports.model import EMAIL_LINK_TTL_SECONDS
from conveyor_devstack.moto_server import MotoServer
from conveyor_notifier.settings import NotifierSettings

pytestmark = pytest.mark.integration

FILE_CONTENT = b"order_id,total\r\n1,9.50\r\n"


def _presigned_export(bucket: str) -> str:
    """A link to a real object in the exports bucket, as the processor would mail it."""
    key = f"exports/tenant-int/{uuid.uuid4()}/orders.csv"
    s3 = clients.s3()
    s3.put_object(Bucket=bucket, Key=key, Body=FILE_CONTENT)
    return s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=EMAIL_LINK_TTL_SECONDS
    )


def test_export_emails_carry_a_working_link_or_the_reason_and_are_sent_once(
    aws: dict[str, str], moto_server: MotoServer
) -> None:
    # given a notifier worker, and a completed and a failed export for two new recipients
    settings = NotifierSettings(skip_ses=False)
    publisher = EventPublisher(topic_arn=aws["EVENTS_TOPIC_ARN"])
    done_to, failed_to = unique_recipient(), unique_recipient()
    completed = export_completed(
        title="Integration orders",
        notify=(done_to,),
        size_bytes=len(FILE_CONTENT),
        download_url=_presigned_export(aws["EXPORTS_BUCKET"]),
    )
    failed = export_failed(
        title=None, notify=(failed_to,), reason='column "<total>" could not be read'
    )
    with running_worker(settings):
        # when both events are published to the topic
        publisher.publish(completed)
        publisher.publish(failed)

        # then each recipient receives one e-mail
        wait_until(
            lambda: bool(emails_to(moto_server, done_to) and emails_to(moto_server, failed_to)),
            what="both export e-mails",
        )
        [done_email] = emails_to(moto_server, done_to)
        [failed_email] = emails_to(moto_server, failed_to)

        # and the completed one links to the file, which downloads through that link
        assert done_email.subject == 'Your export "Integration orders" is ready'
        [link] = hrefs(done_email.body)
        assert link == completed.payload.download_url
        # The link was just asserted to be the emulator's presigned http URL.
        with urllib.request.urlopen(link) as response:  # noqa: S310
            assert response.read() == FILE_CONTENT

        # and the failed one gives the reason, escaped, under the resource's name
        assert failed_email.subject == 'Your export "order_items" failed'
        reason = failed.payload.reason
        assert f"Reason: {reason}" in html.unescape(failed_email.body)
        assert "&lt;total&gt;" in failed_email.body

        # when the same two envelopes are published again and the worker drains the queue
        publisher.publish(completed)
        publisher.publish(failed)
        wait_until(lambda: queue_depth(settings.notifier_queue) == 0, what="the queue to drain")

        # then nothing new is sent and nothing went to the DLQ
        assert len(emails_to(moto_server, done_to)) == 1
        assert len(emails_to(moto_server, failed_to)) == 1
        assert queue_depth(ResourceNames().dead_letter_queue("notifier")) == 0
