"""Text rules: which characters and addresses every downstream part accepts.

A 202 is a promise, so text a store or renderer would refuse is refused where it
enters. PostgreSQL refuses NUL in text; XML 1.0 (XLSX cells, and the HTML that
WeasyPrint lays out) refuses the other C0 controls except tab, LF and CR, and
U+FFFE and U+FFFF; UTF-8, and so PostgreSQL and DynamoDB, cannot hold a lone
surrogate; an e-mail subject or a one-line cell breaks at LF, CR, NEL (U+0085)
and the Unicode line and paragraph separators. DEL and the C1 controls are
invisible and only ever smuggle terminal or log escapes.

Identifiers (a customer's id, a SKU, a file's order reference) are taken in Unicode's
composed form (NFC), so that an id typed with a composed or a decomposed accent is
one id, and they refuse the
invisible format characters (Unicode category Cf: zero-width spaces and joiners,
bidirectional overrides, the soft hyphen): with one, two ids that print the same are
different orders' or customers', and a bidirectional override reorders how an id
reads in an export or a report. Names keep them: a zero-width joiner or non-joiner is
part of how some languages and emoji are written.

Single-line text (every field so far: identifiers, SKUs, names, titles, filter
values) refuses all of them. Multi-line text (free text such as a note) allows
tab, LF, CR and the Unicode separators. Each class is written once and used
twice: by `refuse_control_characters` and as the `pattern` the OpenAPI schema
documents (without the surrogates, which JSON cannot carry and which some
schema tools' regex engines cannot express).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from conveyor_common.errors import FieldError

# Refused in any text.
_C0_BUT_TAB_LF_CR = r"\x00-\x08\x0b\x0c\x0e-\x1f"
_DEL_AND_C1 = r"\x7f-\x9f"
_NON_CHARACTERS = r"\ufffe\uffff"
_SURROGATES = r"\ud800-\udfff"
# Refused in single-line text only.
_LINE_BREAKS_AND_TAB = r"\t\n\r\u2028\u2029"

_MULTI_LINE_REFUSED = _C0_BUT_TAB_LF_CR + _DEL_AND_C1 + _NON_CHARACTERS
_SINGLE_LINE_REFUSED = _MULTI_LINE_REFUSED + _LINE_BREAKS_AND_TAB

SINGLE_LINE_PATTERN = f"^[^{_SINGLE_LINE_REFUSED}]*$"
MULTI_LINE_PATTERN = f"^[^{_MULTI_LINE_REFUSED}]*$"
_SINGLE_LINE = re.compile(f"[{_SINGLE_LINE_REFUSED}{_SURROGATES}]")
_MULTI_LINE = re.compile(f"[{_MULTI_LINE_REFUSED}{_SURROGATES}]")

# Unicode's general category of the invisible format characters identifiers refuse.
FORMAT_CATEGORY = "Cf"
IDENTIFIER_RULE = (
    "Trimmed and NFC-normalised; not blank; no invisible format characters (Unicode category Cf)."
)

# RFC 5321's limit on a forward path, and the width of the e-mail columns.
EMAIL_LENGTH = 254
EMAIL_LOCAL_PART_LENGTH = 64
# Addresses a job (an export, an import) tells its outcome: one e-mail goes to all of
# them, and SES refuses a message to more than 50 recipients (a refusal no retry fixes).
MAX_RECIPIENTS = 20
# SES takes 7-bit ASCII addresses only (an international domain is sent as
# punycode), so an address is an unquoted RFC 5322 dot-atom at a DNS host name.
_ATOM = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_EMAIL = re.compile(rf"(?P<local>{_ATOM}(?:\.{_ATOM})*)@(?:{_LABEL}\.)+{_LABEL}")
INVALID_EMAIL = "is not a valid e-mail address"


def refuse_control_characters(
    field: str, value: str, *, multi_line: bool = False
) -> FieldError | None:
    """The error for text holding a character some downstream part refuses, if it does."""
    found = (_MULTI_LINE if multi_line else _SINGLE_LINE).search(value)
    if found is None:
        return None
    kind = "control characters" if multi_line else "control characters or line breaks"
    return FieldError(
        field,
        f"must not contain {kind} (found U+{ord(found.group()):04X} at position {found.start()})",
    )


def composed(value: str) -> str:
    """An identifier in Unicode's composed form (NFC): one id however its accents came."""
    return value if value.isascii() else unicodedata.normalize("NFC", value)


def refuse_format_characters(field: str, value: str) -> FieldError | None:
    """The error for an identifier holding an invisible format character, if it does."""
    if value.isascii():  # no ASCII character is one, and most identifiers are ASCII
        return None
    for position, char in enumerate(value):
        if unicodedata.category(char) == FORMAT_CATEGORY:
            return FieldError(
                field,
                f"must not contain invisible format characters (found U+{ord(char):04X} "
                f"at position {position})",
            )
    return None


def to_email_address(value: str) -> str:
    """An address SES can send to, trimmed and lower-cased; ValueError if it is none."""
    address = value.strip().lower()
    found = _EMAIL.fullmatch(address) if len(address) <= EMAIL_LENGTH else None
    if found is None or len(found["local"]) > EMAIL_LOCAL_PART_LENGTH:
        raise ValueError(INVALID_EMAIL)
    return address


def documented_text(*, multi_line: bool = False, **schema: Any) -> dict[str, Any]:
    """OpenAPI keywords of a text field: the characters it refuses, as a pattern.

    For `msgspec.Meta(extra_json_schema=...)`: the pattern documents the rule that
    `refuse_control_characters` enforces, with a message naming the character.
    """
    return {"pattern": MULTI_LINE_PATTERN if multi_line else SINGLE_LINE_PATTERN, **schema}


def documented_email(**schema: Any) -> dict[str, Any]:
    """OpenAPI keywords of an e-mail field; `to_email_address` enforces the rule."""
    return {
        "format": "email",
        "description": "An ASCII address (local part at most 64 characters); trimmed and "
        "lower-cased.",
        **schema,
    }
