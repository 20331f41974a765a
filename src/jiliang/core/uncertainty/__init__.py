"""Uncertainty evaluation and conformity decisions (GUM, JCGM 101 Monte Carlo, JCGM 106).

The public entry point is :func:`evaluate_document`; the pieces are importable for
other parts of Jiliang (``load_model``, ``propagate``, ``simulate``, ``conformity``).
"""

from . import conformity
from .errors import ModelError
from .evaluate import evaluate_document, evaluate_model
from .gum import coverage_factor, propagate
from .model import Model, load_model
from .montecarlo import coverage_intervals, simulate
from .plot import render_histogram
from .rounding import rounded_result

__all__ = [
    "ModelError",
    "Model",
    "conformity",
    "coverage_factor",
    "coverage_intervals",
    "evaluate_document",
    "evaluate_model",
    "load_model",
    "propagate",
    "render_histogram",
    "rounded_result",
    "simulate",
]
