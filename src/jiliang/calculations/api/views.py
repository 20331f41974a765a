"""Stateless calculators: a JSON document in, the core's JSON result out.

The documents and results are the contracts of the CLI (`jiliang uncertainty evaluate`,
`jiliang comparison compute`, `jiliang prepack judge`); bad input is a 400 whose body
names the field and the reason. Anyone may call them (they read and write nothing), so
they are throttled and Monte Carlo trials are capped.
"""

from __future__ import annotations

import time

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle
from rest_framework.views import APIView

from jiliang.core import prepack
from jiliang.core.comparison import compute_document
from jiliang.core.errors import InputError
from jiliang.core.uncertainty import evaluate_document
from jiliang.messages import render

MAX_TRIALS = getattr(settings, "JILIANG_API_MAX_MC_TRIALS", 2_000_000)
# Wall time of one request's Monte Carlo run; the model's size is bounded by the core's limits.
MAX_SECONDS = getattr(settings, "JILIANG_API_MAX_MC_SECONDS", 20.0)


def deadline() -> float:
    return time.monotonic() + MAX_SECONDS


class CalculatorThrottle(AnonRateThrottle):
    rate = "60/min"


class CalculatorUserThrottle(UserRateThrottle):
    rate = "600/min"


def _error(field: str | None, reason: str, exc: InputError | None = None) -> Response:
    """400: ``detail`` is the core's English line; ``code`` and ``params`` the error as data;
    ``message`` the same refusal in the request's language (Accept-Language)."""
    body = {"field": field, "detail": reason}
    if exc is not None:
        body.update(code=exc.code, params=exc.to_dict()["params"], message=render(exc))
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


class _Calculator(APIView):
    permission_classes = [permissions.AllowAny]
    throttle_classes = [CalculatorThrottle, CalculatorUserThrottle]

    def post(self, request):
        if not isinstance(request.data, dict):
            return _error(None, "the body must be a JSON object")
        try:
            return Response(self.calculate(request.data, request.query_params))
        except InputError as exc:  # the cores' refusals: field, code and parameters
            return _error(exc.field, str(exc), exc)
        except ValueError as exc:
            return _error(getattr(exc, "field", None), str(exc))


class UncertaintyEvaluateView(_Calculator):
    """Evaluate a measurement model by the GUM law of propagation, Monte Carlo, or both."""

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT},
        parameters=[],
        tags=["calculations"],
        examples=[
            OpenApiExample(
                "P = V²/R",
                value={
                    "outputs": {"P": "V**2 / R"},
                    "inputs": {
                        "V": {"value": 5.0, "distribution": "normal", "u": 0.01},
                        "R": {"value": 10.0, "distribution": "rectangular", "half_width": 0.05},
                    },
                },
                request_only=True,
            )
        ],
        description="Body: the model document. Optional top-level keys `method` (gum | mc | both), `trials`, `seed`.",
    )
    def post(self, request):
        return super().post(request)

    def calculate(self, data, params):
        doc = dict(data)
        method = doc.pop("method", params.get("method", "gum"))
        trials = doc.pop("trials", params.get("trials"))
        seed = doc.pop("seed", params.get("seed"))
        try:
            trials = int(trials) if trials is not None else None
            seed = int(seed) if seed is not None else None
        except (TypeError, ValueError):
            raise InputError("trials", "must be whole numbers", code="whole_number", got=repr(trials)[:40]) from None
        if trials is not None and not 1 <= trials <= MAX_TRIALS:
            raise InputError(
                "trials",
                f"must be between 1 and {MAX_TRIALS} on the API (use the CLI for more)",
                code="api_trials_range",
                limit=MAX_TRIALS,
            )
        return evaluate_document(doc, method=method, trials=trials, seed=seed, deadline=deadline())


class ComparisonComputeView(_Calculator):
    """Reference value, degrees of equivalence and scores of a comparison's results."""

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT},
        tags=["calculations"],
        description='Body: {"estimator": NAME, "sigma_pt": optional number, "results": [{lab, value, u, dof?, in_reference?}, …]}.',
    )
    def post(self, request):
        return super().post(request)

    def calculate(self, data, params):
        rows = data.get("results")
        if not isinstance(rows, list):
            raise ValueError("results: must be a list of {lab, value, u, …} objects")
        return compute_document(rows, data.get("estimator", "weighted-mean"), data.get("sigma_pt"))


class PrepackJudgeView(_Calculator):
    """Judge a prepackaged-goods sample (net content) by JJF 1070."""

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT},
        tags=["calculations"],
        description='Body: {"nominal", "unit", "batch_size", "values" | "gross"+"tare", "edition"?}.',
    )
    def post(self, request):
        return super().post(request)

    def calculate(self, data, params):
        doc = dict(data)
        return prepack.judge_document(doc, edition=doc.pop("edition", None)).to_json()
