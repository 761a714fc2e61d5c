"""The features' e-mail kinds, combined into the notifier's one table."""

from __future__ import annotations

import pytest

from conveyor_notifier.emails import email_kinds
from conveyor_notifier.exports import emails as export_emails
from conveyor_notifier.orders import emails as order_emails


def test_the_features_tables_combine_into_one_by_event_type() -> None:
    combined = email_kinds(order_emails.EMAIL_KINDS, export_emails.EMAIL_KINDS)

    assert dict(combined) == {**order_emails.EMAIL_KINDS, **export_emails.EMAIL_KINDS}


def test_an_event_type_sends_one_email_at_most() -> None:
    with pytest.raises(ValueError, match="two e-mails are declared for OrderPersisted"):
        email_kinds(order_emails.EMAIL_KINDS, order_emails.EMAIL_KINDS)
