"""The e-mails the emulator's SES 'sent', from its `GET /_aws/ses` listing.

LocalStack serves that listing itself; moto server gets it from
conveyor_devstack.moto_process.
"""

from __future__ import annotations

import msgspec


class _Body(msgspec.Struct):
    html_part: str | None = None
    text_part: str | None = None


class _Message(msgspec.Struct, rename="pascal"):
    id: str
    source: str
    subject: str
    body: _Body
    destination: dict[str, list[str]] = {}


class _Listing(msgspec.Struct):
    messages: list[_Message] = []


class CapturedEmail(msgspec.Struct, frozen=True):
    id: str
    source: str
    subject: str
    body: str
    destinations: dict[str, list[str]]

    @property
    def to(self) -> list[str]:
        return self.destinations.get("ToAddresses", [])


def captured_emails(listing: bytes) -> list[CapturedEmail]:
    return [
        CapturedEmail(
            id=message.id,
            source=message.source,
            subject=message.subject,
            body=message.body.html_part or message.body.text_part or "",
            destinations=message.destination,
        )
        for message in msgspec.json.decode(listing, type=_Listing).messages
    ]
