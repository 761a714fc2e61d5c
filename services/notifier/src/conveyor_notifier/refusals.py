"""SES refusals that no retry fixes: the e-mail as it is will never be sent.

Left to the failure classifier, a 400 from SES counts as unexpected, and the message
is retried a few times before it is parked without a word on why. Told apart here,
it is parked at once, with the refusal in the log and the DLQ's reason.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from conveyor_aws.failures import PermanentFailure, exception_chain

# MessageRejected: too many recipients, an unverified sender, a message SES will not
# carry; InvalidParameterValue: an address or header SES does not accept.
REFUSING_SES_CODES = frozenset({"MessageRejected", "InvalidParameterValue"})


class EmailRefused(PermanentFailure):
    """SES refused the e-mail for what it is: sending it again gets the same answer."""


def ses_refusal(exc: BaseException) -> str | None:
    """SES's reason when `exc` is a refusal no retry fixes, else None."""
    for link in exception_chain(exc):
        if isinstance(link, ClientError):
            error: Any = link.response.get("Error", {})
            if error.get("Code") in REFUSING_SES_CODES:
                return f"{error['Code']}: {error.get('Message', '')}".rstrip(": ")
    return None
