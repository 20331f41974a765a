"""Errors of the verification workflow: each names the field and the reason."""

from __future__ import annotations

from jiliang.core.errors import InputError


class VerificationError(InputError):  # (field, reason[, code=, **params]): the platform's one refusal type
    """A refused use case; nothing was written."""


class RefusedRecording(VerificationError):
    """A verification result that may not be recorded, with every reason found."""

    def __init__(self, reasons: list[tuple[str, str]]):
        self.reasons = reasons
        ValueError.__init__(self, "; ".join(f"{field}: {reason}" for field, reason in reasons))
        self.field, self.reason = reasons[0]


class ImportRowError(VerificationError):
    """A bulk registration file with bad rows; ``errors`` lists (row, field, reason)."""

    def __init__(self, errors: list[tuple[int, str, str]]):
        self.errors = errors
        from django.utils.translation import get_language, gettext

        from jiliang.messages import chinese

        row_text = gettext("第 %(row)s 行，%(field)s：%(reason)s")
        shown = ("；" if chinese(get_language() or "zh-hans") else "; ").join(
            row_text % {"row": row, "field": field, "reason": reason} for row, field, reason in errors[:20]
        )
        more = gettext("（另有 %(count)s 处）") % {"count": len(errors) - 20} if len(errors) > 20 else ""
        summary = gettext("%(count)s 处错误，未导入任何内容：%(shown)s%(more)s")
        ValueError.__init__(self, summary % {"count": len(errors), "shown": shown, "more": more})
        self.field, self.reason = "file", str(self)
