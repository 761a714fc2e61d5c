"""The export e-mails, completed and failed, rendered from their templates."""

from __future__ import annotations

import html
from collections.abc import Callable

import pytest
from tests.unit.notifier.conftest import (
    DOWNLOAD_URL,
    ExportCompletedFactory,
    ExportFailedFactory,
    hrefs,
)

from conveyor_common.envelope import Envelope, Event, UnexpectedEvent, wrap
from conveyor_notifier.exports.emails import render_export_completed, render_export_failed


class _SomethingElse(Event, frozen=True, kw_only=True):
    event_type = "SomethingElse"


def test_export_completed_links_to_the_download_in_both_bodies(
    export_completed_envelope: ExportCompletedFactory,
) -> None:
    # given a completed export whose presigned link has several query parameters
    envelope = export_completed_envelope()

    # when its e-mail is rendered
    email = render_export_completed(envelope)

    # then the HTML's only link is the presigned URL, its ampersands escaped in the attribute
    assert hrefs(email.html) == [DOWNLOAD_URL]
    assert f'href="{html.escape(DOWNLOAD_URL)}"' in email.html
    # and the text body carries it verbatim on its own line
    assert f"\n{DOWNLOAD_URL}\n" in email.text


def test_a_link_with_markup_cannot_break_out_of_its_attribute(
    export_completed_envelope: ExportCompletedFactory,
) -> None:
    # given a link holding a quote and a tag
    hostile = 'https://exports.example.com/a.csv?x="><script>alert(1)</script>'
    envelope = export_completed_envelope(download_url=hostile)

    # when its e-mail is rendered
    email = render_export_completed(envelope)

    # then the link stays one attribute value and no tag is injected
    assert hrefs(email.html) == [hostile]
    assert "<script>" not in email.html


def test_a_link_that_is_not_http_is_refused(
    export_completed_envelope: ExportCompletedFactory,
) -> None:
    # given a link with a script scheme
    envelope = export_completed_envelope(download_url="javascript:alert(1)")

    # when / then rendering fails rather than mailing it
    with pytest.raises(ValueError, match="not http"):
        render_export_completed(envelope)


def test_export_completed_text_has_the_figures_and_both_expiries(
    export_completed_envelope: ExportCompletedFactory,
) -> None:
    # given a CSV export of 12,345 rows and 12,345,678 bytes, titled "Q1 orders"
    envelope = export_completed_envelope()

    # when its e-mail is rendered
    email = render_export_completed(envelope)

    # then the subject names it and both bodies give rows, size, format and expiries
    assert email.subject == 'Your export "Q1 orders" is ready'
    assert email.to == ("ada@example.com",)
    for body in (email.text, email.html):
        assert "CSV" in body
        assert "12,345" in body
        assert "12.3 MB" in body
        assert "q1-orders.csv" in body
        assert "2024-05-24 09:30 UTC" in body  # the link's expiry
        assert "2024-06-16 09:30 UTC" in body  # the export's expiry
    assert "Rows: 12,345\nSize: 12.3 MB\n" in email.text


def test_export_title_is_escaped_in_html_and_verbatim_in_text(
    export_completed_envelope: ExportCompletedFactory,
) -> None:
    # given a title holding markup
    envelope = export_completed_envelope(title="<b>Orders & items</b>")

    # when its e-mail is rendered
    email = render_export_completed(envelope)

    # then the HTML shows it as text and the text body keeps it as written
    assert "&lt;b&gt;Orders &amp; items&lt;/b&gt;" in email.html
    assert "<b>" not in email.html
    assert '"<b>Orders & items</b>"' in email.text


@pytest.mark.parametrize(
    ("title", "expected_subject"),
    [
        (None, 'Your export "orders" is ready'),
        ("   ", 'Your export "orders" is ready'),
        ("Q1\r\nBcc: someone@example.com", 'Your export "Q1 Bcc: someone@example.com" is ready'),
    ],
)
def test_subject_is_one_line_and_falls_back_to_the_resource(
    export_completed_envelope: ExportCompletedFactory, title: str | None, expected_subject: str
) -> None:
    # given an export with no usable title, or one spanning lines
    envelope = export_completed_envelope(title=title)

    # when its e-mail is rendered
    email = render_export_completed(envelope)

    # then the subject is a single line naming the title, or else the resource
    assert email.subject == expected_subject


def test_export_goes_to_every_recipient_once(
    export_completed_envelope: ExportCompletedFactory,
) -> None:
    # given an export that names one recipient twice
    envelope = export_completed_envelope(notify=("a@example.com", "b@example.com", "a@example.com"))

    # when its e-mail is rendered
    email = render_export_completed(envelope)

    # then each address receives it once, in the order given
    assert email.to == ("a@example.com", "b@example.com")


def test_export_failed_gives_the_reason_and_suggests_trying_again(
    export_failed_envelope: ExportFailedFactory,
) -> None:
    # given an XLSX export that failed because the database was unreachable
    envelope = export_failed_envelope()

    # when its e-mail is rendered
    email = render_export_failed(envelope)

    # then the subject says it failed and both bodies give format, reason and what to do
    assert email.subject == 'Your export "Q1 orders" failed'
    assert email.to == ("ada@example.com",)
    for body in (email.text, email.html):
        assert "XLSX" in body
        assert "Reason: the database was unreachable" in body
        assert "try again" in body
        assert str(envelope.payload.export_id) in body


def test_export_failure_reason_is_escaped_in_html(
    export_failed_envelope: ExportFailedFactory,
) -> None:
    # given a reason quoting markup from the data
    envelope = export_failed_envelope(reason='column "<img src=x onerror=alert(1)>" is invalid')

    # when its e-mail is rendered
    email = render_export_failed(envelope)

    # then the HTML shows it as text and the text body keeps it as written
    assert "<img" not in email.html
    assert "column &#34;&lt;img src=x onerror=alert(1)&gt;&#34; is invalid" in email.html
    assert 'Reason: column "<img src=x onerror=alert(1)>" is invalid' in email.text


@pytest.mark.parametrize("render", [render_export_completed, render_export_failed])
def test_each_renderer_refuses_another_event_type(render: Callable[[Envelope], object]) -> None:
    # given an envelope of an event no renderer handles
    envelope = wrap(_SomethingElse(), tenant_id="tenant-1", correlation_id="corr-1")

    # when / then rendering it fails loudly
    with pytest.raises(UnexpectedEvent, match="SomethingElse"):
        render(envelope)
