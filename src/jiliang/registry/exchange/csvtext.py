"""Text in CSV cells that a spreadsheet cannot take for a formula (CSV injection)."""

from __future__ import annotations

# A spreadsheet takes a cell starting with one of these as a formula (CSV injection): such
# text is written with a leading apostrophe, as OWASP's "CSV Injection" page advises, and so
# is text that starts with an apostrophe itself, so that reading strips exactly one again.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_TEXT_MARK = "'"


def escape_csv_text(value: str) -> str:
    return CSV_TEXT_MARK + value if value.startswith(FORMULA_START) or value.startswith(CSV_TEXT_MARK) else value


def unescape_csv_text(value: str) -> str:
    return value[1:] if value.startswith(CSV_TEXT_MARK) else value
