"""Comparisons and proficiency testing (计量比对): reference values, degrees of
equivalence, En/z/z′/ζ scores, ISO 13528 Algorithm A, and plots. Pure: arrays in, results out.
"""

from .data import Results, covariance_with_pilot, make_results, parse_rows, results_from_rows
from .document import ESTIMATORS, Evaluation, compute_document, evaluate, reference_value, to_document
from .equivalence import degrees_of_equivalence, pairwise_equivalence
from .errors import ComparisonInputError
from .reference import (
    ReferenceValue,
    arithmetic_mean,
    birge_ratio,
    chi_squared_test,
    cox_procedure_a,
    dersimonian_laird,
    median,
    paule_mandel,
    power_moderated_mean,
    procedure_b,
    weighted_mean,
)
from .robust import algorithm_a
from .scores import en_from_doe, en_number, en_verdict, z_prime_score, z_score, z_verdict, zeta_score

__all__ = [
    "ESTIMATORS",
    "ComparisonInputError",
    "Evaluation",
    "ReferenceValue",
    "Results",
    "algorithm_a",
    "arithmetic_mean",
    "birge_ratio",
    "chi_squared_test",
    "compute_document",
    "covariance_with_pilot",
    "cox_procedure_a",
    "degrees_of_equivalence",
    "dersimonian_laird",
    "en_from_doe",
    "en_number",
    "en_verdict",
    "evaluate",
    "make_results",
    "median",
    "pairwise_equivalence",
    "parse_rows",
    "paule_mandel",
    "power_moderated_mean",
    "procedure_b",
    "reference_value",
    "results_from_rows",
    "to_document",
    "weighted_mean",
    "z_prime_score",
    "z_score",
    "z_verdict",
    "zeta_score",
]
