from __future__ import annotations

from structlog.testing import capture_logs

from conveyor_aws.mail import Email, SesSender
from conveyor_notifier.mailers import LoggingMailer
from conveyor_notifier.settings import NotifierSettings
from conveyor_notifier.worker import build_mailer


def _settings(*, skip_ses: bool) -> NotifierSettings:
    return NotifierSettings(
        state_table="table",
        notifier_queue="queue",
        ses_sender="no-reply@example.com",
        skip_ses=skip_ses,
    )


def test_logging_mailer_logs_subject_recipients_and_text() -> None:
    # given an e-mail
    email = Email(to=("a@example.com",), subject="Hello", html="<p>Hi</p>", text="Hi there")

    # when the logging mailer "sends" it
    with capture_logs() as logs:
        message_id = LoggingMailer().send(email)

    # then the log line carries what a reader needs, and the id it returned
    [line] = logs
    assert line["subject"] == "Hello"
    assert line["recipients"] == ["a@example.com"]
    assert line["text"] == "Hi there"
    assert line["message_id"] == message_id


def test_skip_ses_selects_the_logging_mailer() -> None:
    assert isinstance(build_mailer(_settings(skip_ses=True)), LoggingMailer)


def test_ses_is_the_default_mailer_and_sends_from_the_configured_sender() -> None:
    mailer = build_mailer(_settings(skip_ses=False))

    assert isinstance(mailer, SesSender)
    assert mailer.sender == "no-reply@example.com"
