"""Cell rules every spreadsheet-bound file shares: the exports and the error report.

Spreadsheet formula injection (OWASP "CSV Injection"): a text cell starting with
one of these characters could run as a formula in Excel or LibreOffice, so it
is prefixed with a single quote. Numbers stay numbers and are never touched.
"""

from __future__ import annotations

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
ESCAPE_PREFIX = "'"
# The triggers' code points, as PostgreSQL's ascii() gives a text's first character.
_TRIGGER_CODES = ", ".join(str(ord(trigger)) for trigger in FORMULA_TRIGGERS)


def escape_formula(value: str) -> str:
    return ESCAPE_PREFIX + value if value.startswith(FORMULA_TRIGGERS) else value


def escape_formula_sql(expression: str) -> str:
    """The same rule as a PostgreSQL expression, for text columns on the COPY path.

    ascii() reads the first character's code point in a UTF8 database (the schema's;
    0 for '', NULL for NULL, which stays NULL): integer comparisons, where
    left(…, 1) IN (…) built a text per cell and compared it six times, about twice
    the cost on a large export.
    """
    return (
        f"CASE WHEN ascii({expression}) IN ({_TRIGGER_CODES}) "
        f"THEN '{ESCAPE_PREFIX * 2}' || {expression} ELSE {expression} END"
    )
