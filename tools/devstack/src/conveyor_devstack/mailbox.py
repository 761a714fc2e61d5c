"""The e-mails moto's SES 'sent', read from its /moto-api/data.json."""

from __future__ import annotations

import msgspec


class CapturedEmail(msgspec.Struct, frozen=True):
    id: str
    source: str
    subject: str
    body: str
    destinations: dict[str, list[str]]

    @property
    def to(self) -> list[str]:
        return self.destinations.get("ToAddresses", [])


class _Ses(msgspec.Struct):
    Message: list[CapturedEmail] = []


class _Data(msgspec.Struct):
    ses: _Ses = msgspec.field(default_factory=_Ses)


def captured_emails(moto_data: bytes) -> list[CapturedEmail]:
    return msgspec.json.decode(moto_data, type=_Data).ses.Message
