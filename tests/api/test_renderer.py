"""The orjson renderer gives the JSON DRF's JSONRenderer would, for what the API sends."""

import datetime as dt
import json
from decimal import Decimal

import numpy as np
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from jiliang.registry.api.renderers import FastJSONRenderer

PAYLOAD = ReturnDict(
    {
        "next": "http://testserver/api/events/?cursor=cD0yMDI1",
        "results": ReturnList(
            [
                {
                    "id": 1,
                    "certificate_number": "JL-V2025-000000001",
                    "performed_on": dt.date(2025, 4, 1),
                    "passed": True,
                    "uncertainty": 2e-06,
                    "results": [{"quantity": "质量", "value": 1.0, "U": 2e-06, "k": 2}],
                    "standards_used": [3, 4],
                    "created": dt.datetime(2025, 4, 1, 8, 30, 0, 125000, tzinfo=dt.UTC),
                    "note": gettext_lazy("有效期至"),
                    "amount": Decimal("12.50"),
                    "missing": None,
                },
            ],
            serializer=None,
        ),
    },
    serializer=None,
)


def test_same_json_as_drf_for_api_payloads():
    fast, drf = FastJSONRenderer().render(PAYLOAD), JSONRenderer().render(PAYLOAD)
    assert json.loads(fast) == json.loads(drf)
    # Compact UTF-8 like DRF's; only the spelling of an exponent differs (2e-6, 2e-06).
    assert fast == drf.replace(b"e-06", b"e-6")
    assert "质量".encode() in fast and b'"created":"2025-04-01T08:30:00.125000Z"' in fast


def test_numpy_values_and_integer_keys_are_rendered():
    body = FastJSONRenderer().render({"counts": np.array([1, 2, 3]), "by_region": {330106: 5}, "mean": np.float64(0.5)})
    assert json.loads(body) == {"counts": [1, 2, 3], "by_region": {"330106": 5}, "mean": 0.5}


def test_indented_and_empty_responses_follow_drf():
    assert FastJSONRenderer().render(None) == b""
    indented = FastJSONRenderer().render({"a": [1]}, "application/json; indent=2")
    assert indented == JSONRenderer().render({"a": [1]}, "application/json; indent=2")
    assert b"\n  " in indented
