"""Errors raised for bad models: an InputError naming the field, the code and the reason."""

from jiliang.core.errors import InputError


class ModelError(InputError):
    """A measurement model document or expression is invalid.

    ``field`` is a dotted path into the document (``inputs.R.half_width``).
    """
