"""Sends rendered e-mails through SES."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from conveyor_aws import clients

if TYPE_CHECKING:
    from mypy_boto3_ses import SESClient


class Email(msgspec.Struct, frozen=True, kw_only=True):
    to: tuple[str, ...]
    subject: str
    html: str
    text: str


class SesSender:
    def __init__(self, *, sender: str, client: SESClient | None = None) -> None:
        self.sender = sender
        self._client = client

    def send(self, email: Email) -> str:
        """Send one e-mail; returns the SES message id."""
        client = self._client or clients.ses()
        response = client.send_email(
            Source=self.sender,
            Destination={"ToAddresses": list(email.to)},
            Message={
                "Subject": {"Data": email.subject, "Charset": "UTF-8"},
                "Body": {
                    "Html": {"Data": email.html, "Charset": "UTF-8"},
                    "Text": {"Data": email.text, "Charset": "UTF-8"},
                },
            },
        )
        return response["MessageId"]
