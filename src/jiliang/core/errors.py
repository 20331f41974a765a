"""Errors as data: one refusal type for every part of the platform.

An :class:`InputError` carries *where* (``field``: a dotted path into the document, a
column, an option), *what* (``code``: a stable key, the same in every language) and the
*details* (``params``: the value given, the limit, the name at fault). The core is pure
and has no translations: its ``str()`` is an English sentence for logs, scripts and the
CLI's ``--lang en``. The shell renders the same error through gettext from a catalogue
keyed by ``code`` (:mod:`jiliang.messages`), so a reworded English sentence can never
leave a page speaking English by accident; a test checks that every code raised in the
core has a Chinese and an English message.
"""

from __future__ import annotations


class InputError(ValueError):
    """Bad input, refused before anything was changed.

    ``reason`` is the English sentence (without the field); ``code`` the catalogue key;
    ``params`` the values the message quotes. ``row`` and ``file`` locate the error in a
    file when there is one (an import, a CSV of results).
    """

    # Defaults for subclasses of the apps that set ``field`` and ``reason`` themselves.
    field = ""
    reason = ""
    code = "invalid"
    params: dict = {}
    row: int | None = None
    file: str | None = None

    def __init__(
        self, field: str, reason: str, *, code: str = "invalid", row: int | None = None, file: str | None = None, **params
    ):
        self.field = field
        self.reason = reason
        self.code = code
        self.params = params
        self.row = row
        self.file = file
        super().__init__(self._english())

    def _english(self) -> str:
        where = ", ".join(p for p in (self.file, f"row {self.row}" if self.row is not None else None, self.field) if p)
        return f"{where}: {self.reason}" if where else self.reason

    def located(self, *, file: str | None = None, row: int | None = None) -> InputError:
        """The same refusal, placed in a file (and row) by the caller that read it."""
        if file is not None:
            self.file = file
        if row is not None:
            self.row = row
        self.args = (self._english(),)
        return self

    def to_dict(self) -> dict:
        return {
            "field": self.field,
            "code": self.code,
            "params": {k: _plain(v) for k, v in self.params.items()},
            "row": self.row,
            "file": self.file,
            "detail": str(self),
        }


def _plain(value):
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)


class ReasonError(InputError):
    """An InputError raised with its reason alone: older raisers write the field into the
    reason ("document: not well-formed XML"); ``field`` and ``code`` may still be given."""

    def __init__(self, reason: str, *, field: str = "", code: str = "invalid", **params):
        super().__init__(field, reason, code=code, **params)
