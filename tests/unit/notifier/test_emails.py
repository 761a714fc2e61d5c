"""The features' e-mail kinds, combined into the notifier's one table."""

from __future__ import annotations

import pytest

from conveyor_notifier.emails import checked_link, email_kinds, recipients
from conveyor_notifier.exports import emails as export_emails
from conveyor_notifier.imports import emails as import_emails
from conveyor_notifier.orders import emails as order_emails


def test_the_features_tables_combine_into_one_by_event_type() -> None:
    combined = email_kinds(
        order_emails.EMAIL_KINDS, export_emails.EMAIL_KINDS, import_emails.EMAIL_KINDS
    )

    assert dict(combined) == {
        **order_emails.EMAIL_KINDS,
        **export_emails.EMAIL_KINDS,
        **import_emails.EMAIL_KINDS,
    }


def test_an_event_type_sends_one_email_at_most() -> None:
    with pytest.raises(ValueError, match="two e-mails are declared for OrderPersisted"):
        email_kinds(order_emails.EMAIL_KINDS, order_emails.EMAIL_KINDS)


@pytest.mark.parametrize(
    "url", ["https://files.example.com/a.csv?X-Amz-Signature=1", "http://localhost:5000/a.csv"]
)
def test_an_http_link_is_kept_as_it_is(url: str) -> None:
    assert checked_link(url) == url


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,<b>x</b>", "file:///etc/passwd", "/a.csv"]
)
def test_a_link_a_mail_client_should_not_follow_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="not http"):
        checked_link(url)


def test_each_recipient_once_in_the_order_given() -> None:
    assert recipients(("b@example.com", "a@example.com", "b@example.com")) == (
        "b@example.com",
        "a@example.com",
    )
