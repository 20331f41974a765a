"""One comparison evaluated end to end, and its JSON document (the contract of issue 5).

Conventions where the issue is silent (documented here, tested in tests/core/comparison):
- ``excluded`` lists every lab whose result is not in the reference value: rows with
  in_reference = 0, and for ``cox-a`` the results left out of the largest consistent subset.
- ``chi2`` is the chi-squared consistency check of the weighted mean (Cox 2002); it applies
  to ``weighted-mean`` and ``cox-a`` (for ``cox-a``: of the final subset) and is null otherwise.
- ``reference.u``: weighted mean 1/sqrt(Σ1/u²); mean s/√n; median 1.25·MADe/√n;
  random effects 1/sqrt(Σ1/(u²+τ²)); algorithm-a 1.25·s*/√p (ISO 13528:2022 §7.7.3);
  power-moderated-mean (an addition to the issue's list: the CCRI(II) reference value of the
  BIPM SIR comparisons) as in Pommé & Keightley 2015 with α = 2 − 3/N.
  ``reference.s`` is s* for algorithm-a and null otherwise.
- ``U_d`` = 2·u(d_i) with the correlation of a participant with the reference value it is
  part of (see ``equivalence``); ``En`` = d_i/U_d; ``zeta`` = d_i/sqrt(u_i² + u_ref²);
  ``z`` = d_i/σ_pt with σ_pt = --sigma-pt when given, else s* for algorithm-a, else null.
- Scores that need a participant's u are null when that participant gave none; a score
  whose denominator is zero is null.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import reference as ref_mod
from .data import Results, results_from_rows
from .equivalence import DegreesOfEquivalence, degrees_of_equivalence
from .errors import ComparisonInputError
from .reference import ReferenceValue
from .robust import algorithm_a
from .scores import en_from_doe, en_verdict, z_score, z_verdict, zeta_score

ESTIMATORS = (
    "weighted-mean",
    "cox-a",
    "mean",
    "median",
    "dersimonian-laird",
    "paule-mandel",
    "algorithm-a",
    "power-moderated-mean",
)
WITHOUT_U = ("mean", "median", "algorithm-a")


@dataclass(frozen=True)
class Evaluation:
    results: Results
    reference: ReferenceValue
    doe: DegreesOfEquivalence
    en: np.ndarray
    z: np.ndarray
    zeta: np.ndarray
    sigma_pt: float | None

    @property
    def en_verdicts(self):
        return en_verdict(self.en)

    @property
    def z_verdicts(self):
        return z_verdict(self.z)

    @property
    def excluded(self) -> list[str]:
        return [lab for lab, used in zip(self.results.labs, self.reference.used) if not used]


def reference_value(results: Results, estimator: str) -> ReferenceValue:
    """The reference value of ``results`` by the named estimator (one of ESTIMATORS)."""
    x, u, used = results.values, results.u, results.in_reference
    if estimator == "weighted-mean":
        return ref_mod.weighted_mean(x, u, used, cov=results.cov)
    if estimator == "cox-a":
        return ref_mod.cox_procedure_a(x, u, used)
    if estimator == "mean":
        return ref_mod.arithmetic_mean(x, used)
    if estimator == "median":
        return ref_mod.median(x, used)
    if estimator == "dersimonian-laird":
        return ref_mod.dersimonian_laird(x, u, used)
    if estimator == "paule-mandel":
        return ref_mod.paule_mandel(x, u, used)
    if estimator == "power-moderated-mean":
        return ref_mod.power_moderated_mean(x, u, used)
    if estimator == "algorithm-a":
        robust = algorithm_a(x[used])
        p = int(used.sum())
        return ReferenceValue(
            "algorithm-a", robust.mean, float(robust.u_mean(p)), used, None, s=robust.sd, extra={"iterations": robust.iterations}
        )
    raise ComparisonInputError(
        "estimator",
        f"unknown estimator {estimator!r} (expected one of {', '.join(ESTIMATORS)})",
        code="one_of",
        options=", ".join(ESTIMATORS),
        got=repr(estimator),
    )


def evaluate(results: Results, estimator: str, sigma_pt: float | None = None) -> Evaluation:
    if sigma_pt is not None and not (math.isfinite(sigma_pt) and sigma_pt > 0):
        raise ComparisonInputError(
            "sigma_pt", f"must be a positive number, got {sigma_pt!r}", code="must_be_positive", got=repr(sigma_pt)
        )
    # Scores of a participant without u are NaN by design; NumPy's warnings about them (and
    # about extreme inputs, refused below) are not for the user's terminal.
    with np.errstate(all="ignore"):
        try:
            ref = reference_value(results, estimator)
        except ComparisonInputError:
            raise
        except (ValueError, ArithmeticError):  # a solver (Paule-Mandel's root) meeting overflowed sums
            ref = None
        if ref is None or not math.isfinite(ref.value):
            raise ComparisonInputError(
                "value",
                f"the {estimator} reference value of these results is not a finite number",
                code="comparison_reference_not_finite",
                estimator=estimator,
            )
        doe = degrees_of_equivalence(results.values, results.u, ref, results.cov)
        sigma = sigma_pt if sigma_pt is not None else (ref.s if estimator == "algorithm-a" else None)
        z = z_score(results.values, ref.value, sigma) if sigma is not None else np.full(results.n, np.nan)
        zeta = zeta_score(results.values, results.u, ref.value, ref.u)
    return Evaluation(results, ref, doe, en_from_doe(doe.d, doe.U_d), z, zeta, sigma)


def to_document(ev: Evaluation) -> dict:
    ref = ev.reference
    chi2 = None
    if ref.chi2 is not None and ref.method in ("weighted-mean", "cox-a"):
        chi2 = {
            "observed": _num(ref.chi2.observed),
            "dof": int(ref.chi2.dof),
            "p_value": _num(ref.chi2.p_value),
            "consistent": bool(ref.chi2.consistent),
        }
    participants = [
        {"lab": lab, "d": _num(d), "U_d": _num(U), "En": _num(en), "z": _num(z), "zeta": _num(zeta)}
        for lab, d, U, en, z, zeta in zip(ev.results.labs, ev.doe.d, ev.doe.U_d, ev.en, ev.z, ev.zeta)
    ]
    return {
        "estimator": ref.method,
        "reference": {"value": _num(ref.value), "u": _num(ref.u), "s": _num(ref.s) if ref.method == "algorithm-a" else None},
        "chi2": chi2,
        "excluded": ev.excluded,
        "participants": participants,
    }


def compute_document(rows: list[dict], estimator: str, sigma_pt: float | None = None) -> dict:
    """Rows of the input format → the JSON document of the contract (a plain dict)."""
    if estimator not in ESTIMATORS:
        raise ComparisonInputError(
            "estimator",
            f"unknown estimator {estimator!r} (expected one of {', '.join(ESTIMATORS)})",
            code="one_of",
            options=", ".join(ESTIMATORS),
            got=repr(estimator),
        )
    results = results_from_rows(rows, require_u=estimator not in WITHOUT_U)
    return to_document(evaluate(results, estimator, sigma_pt))


def _num(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None
