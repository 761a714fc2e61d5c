"""A mailer for environments without SES: the e-mail goes to the log."""

from __future__ import annotations

import uuid

from conveyor_aws.mail import Email
from conveyor_common.log import get_logger


class LoggingMailer:
    def send(self, email: Email) -> str:
        """Log the e-mail instead of sending it; returns a made-up message id."""
        message_id = f"logged-{uuid.uuid4()}"
        # Looked up per call: a long-lived logger keeps the log configuration it first saw.
        get_logger(__name__).info(
            "e-mail not sent (SKIP_SES)",
            message_id=message_id,
            subject=email.subject,
            recipients=list(email.to),
            text=email.text,
        )
        return message_id
