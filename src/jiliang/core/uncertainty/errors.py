"""Errors raised for bad models: always a ValueError naming the field and the reason."""


class ModelError(ValueError):
    """A measurement model document or expression is invalid.

    ``field`` is a dotted path into the document (``inputs.R.half_width``).
    """

    def __init__(self, field: str, reason: str):
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}" if field else reason)
