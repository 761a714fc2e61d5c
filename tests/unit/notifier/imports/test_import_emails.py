"""The import e-mails, processed and failed, rendered from their templates."""

from __future__ import annotations

import html
from collections.abc import Callable

import pytest
from tests.unit.notifier.conftest import (
    ERROR_REPORT_URL,
    FileFailedFactory,
    FileProcessedFactory,
    hrefs,
)

from conveyor_common.envelope import Envelope, Event, UnexpectedEvent, wrap
from conveyor_common.imports.model import ImportMode
from conveyor_notifier.imports.emails import render_file_failed, render_file_processed

HOSTILE_NAME = '<img src=x onerror="alert(1)">&orders.csv'


class _SomethingElse(Event, frozen=True, kw_only=True):
    event_type = "SomethingElse"


def test_processed_email_gives_the_name_and_every_count(
    file_processed_envelope: FileProcessedFactory,
) -> None:
    # given an import of 12,345 rows: 12,000 imported, 300 unchanged, 45 rejected
    envelope = file_processed_envelope()

    # when its e-mail is rendered
    email = render_file_processed(envelope)

    # then the subject names the file and both bodies give each count and the file id
    assert email.subject == 'Your file "orders-may.csv" was imported'
    assert email.to == ("ada@example.com",)
    assert "Rows: 12,345\nImported: 12,000\nUnchanged: 300\nRejected: 45\n" in email.text
    for label, figure in [
        ("Rows", "12,345"),
        ("Imported", "12,000"),
        ("Unchanged", "300"),
        ("Rejected", "45"),
    ]:
        assert f'<th align="left">{label}</th><td>{figure}</td>' in email.html
    for body in (email.text, email.html):
        assert "orders-may.csv" in body
        assert str(envelope.payload.file_id) in body
        assert "dry run" not in body


def test_rejected_rows_link_to_the_error_report_with_its_expiry(
    file_processed_envelope: FileProcessedFactory,
) -> None:
    # given an import with rejected rows and a presigned error report link
    envelope = file_processed_envelope(rows_rejected=45)

    # when its e-mail is rendered
    email = render_file_processed(envelope)

    # then the HTML's only link is the report, escaped in the attribute, with its expiry
    assert hrefs(email.html) == [ERROR_REPORT_URL]
    assert f'href="{html.escape(ERROR_REPORT_URL)}"' in email.html
    assert "This link works until 2024-05-24 09:30 UTC." in email.html
    # and the text body carries it verbatim on its own line, after its expiry
    assert "(this link works until 2024-05-24 09:30 UTC):\n" in email.text
    assert f"\n{ERROR_REPORT_URL}\n" in email.text


@pytest.mark.parametrize(
    ("rows_rejected", "error_report_url"),
    [(0, None), (0, ERROR_REPORT_URL), (3, None)],
    ids=["nothing-rejected", "link-without-rejections", "rejections-without-link"],
)
def test_no_report_link_unless_rows_were_rejected_and_a_link_was_made(
    file_processed_envelope: FileProcessedFactory,
    rows_rejected: int,
    error_report_url: str | None,
) -> None:
    # given an import with no rejected row, or no link to a report
    envelope = file_processed_envelope(
        rows_rejected=rows_rejected, error_report_url=error_report_url
    )

    # when its e-mail is rendered
    email = render_file_processed(envelope)

    # then neither body offers an error report
    assert hrefs(email.html) == []
    for body in (email.text, email.html):
        assert "error report" not in body
        assert "link works until" not in body
        assert ERROR_REPORT_URL not in body
    # and the rejected rows are still counted
    assert f"Rejected: {rows_rejected}\n" in email.text
    assert f'<th align="left">Rejected</th><td>{rows_rejected}</td>' in email.html


def test_a_dry_run_says_so_and_that_nothing_was_written(
    file_processed_envelope: FileProcessedFactory,
) -> None:
    # given a file checked in validate mode
    envelope = file_processed_envelope(mode=ImportMode.VALIDATE)

    # when its e-mail is rendered
    email = render_file_processed(envelope)

    # then the subject and both bodies say it was a dry run that wrote no order
    assert email.subject == 'Your file "orders-may.csv" was checked (dry run)'
    assert "This was a dry run (validate mode): no order\nwas written." in email.text
    assert "This was a dry run (validate mode): no order was written." in email.html
    for body in (email.text, email.html):
        assert "was imported" not in body
    # and the valid rows are counted as valid, not as imported
    assert "Valid: 12,000\n" in email.text
    assert "Imported:" not in email.text
    assert '<th align="left">Valid</th><td>12,000</td>' in email.html


def test_a_hostile_file_name_is_escaped_in_html_and_verbatim_in_text(
    file_processed_envelope: FileProcessedFactory,
) -> None:
    # given a file whose name holds markup
    envelope = file_processed_envelope(original_name=HOSTILE_NAME)

    # when its e-mail is rendered
    email = render_file_processed(envelope)

    # then the HTML shows the name as text and injects no tag
    assert "<img" not in email.html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;&amp;orders.csv" in email.html
    assert hrefs(email.html) == [ERROR_REPORT_URL]
    # and the text body and subject keep it as written
    assert f'Your file "{HOSTILE_NAME}" was imported.' in email.text
    assert email.subject == f'Your file "{HOSTILE_NAME}" was imported'


@pytest.mark.parametrize(
    ("original_name", "expected_subject"),
    [
        ("may\r\nBcc: someone@example.com.csv", 'Your file "may Bcc: someone@example.com.csv"'),
        ("  orders\t.csv ", 'Your file "orders .csv"'),
    ],
)
def test_subject_is_one_line_whatever_the_file_name(
    file_processed_envelope: FileProcessedFactory,
    file_failed_envelope: FileFailedFactory,
    original_name: str,
    expected_subject: str,
) -> None:
    # given a processed and a failed file whose names span lines or pad with whitespace
    processed = file_processed_envelope(original_name=original_name)
    failed = file_failed_envelope(original_name=original_name)

    # when their e-mails are rendered
    processed_email = render_file_processed(processed)
    failed_email = render_file_failed(failed)

    # then each subject is a single line with the name's whitespace collapsed
    assert processed_email.subject == f"{expected_subject} was imported"
    assert failed_email.subject == f"{expected_subject} could not be processed"


def test_a_report_link_that_is_not_http_is_refused(
    file_processed_envelope: FileProcessedFactory,
) -> None:
    # given a report link with a script scheme
    envelope = file_processed_envelope(error_report_url="javascript:alert(1)")

    # when / then rendering fails rather than mailing it
    with pytest.raises(ValueError, match="not http"):
        render_file_processed(envelope)


def test_import_goes_to_every_recipient_once(
    file_processed_envelope: FileProcessedFactory,
) -> None:
    # given an import that names one recipient twice
    envelope = file_processed_envelope(notify=("a@example.com", "b@example.com", "a@example.com"))

    # when its e-mail is rendered
    email = render_file_processed(envelope)

    # then each address receives it once, in the order given
    assert email.to == ("a@example.com", "b@example.com")


def test_failed_email_gives_the_reason_and_what_to_do(
    file_failed_envelope: FileFailedFactory,
) -> None:
    # given a JSON file that could not be parsed
    envelope = file_failed_envelope()

    # when its e-mail is rendered
    email = render_file_failed(envelope)

    # then the subject says so and both bodies give the name, reason and what to do
    assert email.subject == 'Your file "orders-may.json" could not be processed'
    assert email.to == ("ada@example.com",)
    for body in (email.text, email.html):
        assert "orders-may.json" in body
        assert "could not be imported" in body
        assert "Reason: malformed JSON at line 3, column 7" in body
        assert "upload it again" in body
        assert str(envelope.payload.file_id) in body
    assert hrefs(email.html) == []


def test_a_failed_dry_run_says_it_could_not_be_checked(
    file_failed_envelope: FileFailedFactory,
) -> None:
    # given a file that failed in validate mode
    envelope = file_failed_envelope(mode=ImportMode.VALIDATE)

    # when its e-mail is rendered
    email = render_file_failed(envelope)

    # then both bodies say it could not be checked
    for body in (email.text, email.html):
        assert "could not be checked" in body
        assert "could not be imported" not in body


def test_failure_reason_and_name_are_escaped_in_html(
    file_failed_envelope: FileFailedFactory,
) -> None:
    # given a reason quoting a hostile header column, of a file with a hostile name
    reason = 'unknown header column "<script>alert(1)</script>"'
    envelope = file_failed_envelope(original_name=HOSTILE_NAME, reason=reason)

    # when its e-mail is rendered
    email = render_file_failed(envelope)

    # then the HTML shows both as text and the text body keeps them as written
    assert "<script>" not in email.html
    assert "<img" not in email.html
    assert "Reason: unknown header column &#34;&lt;script&gt;alert(1)&lt;/script&gt;&#34;" in (
        email.html
    )
    assert f"Reason: {reason}" in email.text
    assert f'Your file "{HOSTILE_NAME}" could not be imported.' in email.text


@pytest.mark.parametrize("render", [render_file_processed, render_file_failed])
def test_each_renderer_refuses_another_event_type(render: Callable[[Envelope], object]) -> None:
    # given an envelope of an event no renderer handles
    envelope = wrap(_SomethingElse(), tenant_id="tenant-1", correlation_id="corr-1")

    # when / then rendering it fails loudly
    with pytest.raises(UnexpectedEvent, match="SomethingElse"):
        render(envelope)
