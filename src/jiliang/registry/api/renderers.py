"""JSON responses through orjson: the standard library encoder was about a fifth of the
server time of a 100-row list. Same output as DRF's JSONRenderer (compact, UTF-8, a UTC
datetime ending in "Z"); anything orjson does not know (lazy translations, Decimal) goes
through DRF's own encoder, and an indented response (``; indent=2``) through DRF itself."""

from __future__ import annotations

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils import encoders

_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY
_fallback = encoders.JSONEncoder().default


class FastJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if self.get_indent(accepted_media_type, renderer_context or {}):
            return super().render(data, accepted_media_type, renderer_context)
        return orjson.dumps(data, default=_fallback, option=_OPTIONS)
