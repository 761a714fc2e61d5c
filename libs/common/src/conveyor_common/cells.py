"""Cell rules every spreadsheet-bound file shares: the exports and the error report.

Spreadsheet formula injection (OWASP "CSV Injection"): a text cell starting with
one of these characters could run as a formula in Excel or LibreOffice, so it
is prefixed with a single quote. Numbers stay numbers and are never touched.
"""

from __future__ import annotations

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
ESCAPE_PREFIX = "'"


def escape_formula(value: str) -> str:
    return ESCAPE_PREFIX + value if value.startswith(FORMULA_TRIGGERS) else value


def escape_formula_sql(expression: str) -> str:
    """The same rule as a PostgreSQL expression, for text columns on the COPY path."""
    return (
        f"CASE WHEN left({expression}, 1) IN ('=', '+', '-', '@', E'\\t', E'\\r') "
        f"THEN '''' || {expression} ELSE {expression} END"
    )
