"""The participants' results as arrays, validated once, and the reader of the input format.

The input format (a contract): CSV with a header row, or a JSON list of objects, with
``lab``, ``value``, ``u`` (standard uncertainty; optional for the mean, median and
Algorithm A), and optionally ``dof`` and ``in_reference`` (1 or 0, default 1).
The reader takes text, not a path: opening files is the caller's business.
"""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from dataclasses import dataclass

import numpy as np

from .errors import ComparisonInputError

COLUMNS = ("lab", "value", "u", "dof", "in_reference")
# Square roots of the smallest normal and of the largest double (about 1.5e-154 and 1.3e154).
U_MIN = math.sqrt(sys.float_info.min)
U_MAX = math.sqrt(sys.float_info.max) / 1e3  # leaves room for sums of a thousand squares


@dataclass(frozen=True)
class Results:
    """One measurand's results: arrays aligned by participant, in input order.

    ``u`` holds NaN where a participant gave no uncertainty; ``dof`` holds inf where no
    degrees of freedom were given. ``cov`` is an optional full covariance matrix of the
    values (for correlations with the pilot); None means independent results.
    """

    labs: tuple[str, ...]
    values: np.ndarray
    u: np.ndarray
    dof: np.ndarray
    in_reference: np.ndarray
    cov: np.ndarray | None = None

    @property
    def n(self) -> int:
        return len(self.labs)

    @property
    def has_u(self) -> bool:
        return bool(np.all(np.isfinite(self.u)))

    def covariance(self) -> np.ndarray:
        """The covariance matrix of the values (diagonal u² when none was given)."""
        if self.cov is not None:
            return self.cov
        return np.diag(self.u**2)


def make_results(labs, values, u=None, dof=None, in_reference=None, cov=None) -> Results:
    """Validate arrays into Results; errors name the lab and the field."""
    labs = tuple(str(lab) for lab in labs)
    n = len(labs)
    if n == 0:
        raise ComparisonInputError("lab", "no participants", code="comparison_no_participants")
    if n < 2:  # a comparison compares: one result has no reference value independent of itself (JJF 1117-2010 3.1)
        raise ComparisonInputError(
            "lab", f"a comparison needs at least two laboratories, got {n}", code="comparison_too_few", count=n, minimum=2
        )
    seen: set[str] = set()
    for lab in labs:
        if not lab.strip():
            raise ComparisonInputError("lab", "empty laboratory name", code="comparison_lab_empty")
        if lab in seen:
            raise ComparisonInputError("lab", "duplicate laboratory name", lab, code="comparison_lab_duplicate")
        seen.add(lab)
    values = _float_array(values, n, "value", labs)
    if not np.all(np.isfinite(values)):
        bad = labs[int(np.flatnonzero(~np.isfinite(values))[0])]
        raise ComparisonInputError("value", "must be a finite number", bad, code="number_finite", got="")
    too_big = np.abs(values) > U_MAX  # differences of values are squared by every score
    if too_big.any():
        lab = labs[int(np.flatnonzero(too_big)[0])]
        raise ComparisonInputError(
            "value",
            f"{float(values[too_big][0])!r} is beyond ±{U_MAX:.3g}, where its square is representable",
            lab,
            code="comparison_value_range",
            got=float(values[too_big][0]),
            high=f"{U_MAX:.3g}",
        )
    u = np.full(n, np.nan) if u is None else _float_array(u, n, "u", labs)
    given = ~np.isnan(u)
    bad = given & ~(np.isfinite(u) & (u > 0))
    if bad.any():
        lab = labs[int(np.flatnonzero(bad)[0])]
        raise ComparisonInputError(
            "u",
            f"standard uncertainty must be a positive finite number, got {float(u[bad][0])!r}",
            lab,
            code="comparison_u_positive",
            got=float(u[bad][0]),
        )
    # The estimators weigh by 1/u² and add u² to variances: both must be normal doubles, or a
    # weight becomes infinite and every result prints as "—" (u = 1e-320 did).
    bad = given & ((u < U_MIN) | (u > U_MAX))
    if bad.any():
        lab = labs[int(np.flatnonzero(bad)[0])]
        raise ComparisonInputError(
            "u",
            f"standard uncertainty {float(u[bad][0])!r} is outside [{U_MIN:.3g}, {U_MAX:.3g}], "
            "where its square and 1/u² are representable",
            lab,
            code="comparison_u_range",
            got=float(u[bad][0]),
            low=f"{U_MIN:.3g}",
            high=f"{U_MAX:.3g}",
        )
    dof = np.full(n, np.inf) if dof is None else _float_array(dof, n, "dof", labs)
    dof = np.where(np.isnan(dof), np.inf, dof)
    bad = ~(dof > 0)
    if bad.any():
        lab = labs[int(np.flatnonzero(bad)[0])]
        raise ComparisonInputError(
            "dof",
            f"degrees of freedom must be positive, got {float(dof[bad][0])!r}",
            lab,
            code="must_be_positive",
            got=repr(float(dof[bad][0])),
        )
    if in_reference is None:
        in_reference = np.ones(n, dtype=bool)
    else:
        raw = np.asarray(in_reference)
        if raw.shape != (n,):
            raise ComparisonInputError(
                "in_reference", f"expected {n} entries, got {raw.size}", code="comparison_entries", n=n, got=raw.size
            )
        if not np.all(np.isin(raw.astype(float), (0.0, 1.0))):
            lab = labs[int(np.flatnonzero(~np.isin(raw.astype(float), (0.0, 1.0)))[0])]
            raise ComparisonInputError("in_reference", "must be 1 or 0", lab, code="comparison_one_or_zero_any")
        in_reference = raw.astype(bool)
    if not in_reference.any():
        raise ComparisonInputError(
            "in_reference", "no participant contributes to the reference value", code="comparison_reference_empty"
        )
    if cov is not None:
        cov = np.asarray(cov, dtype=float)
        if cov.shape != (n, n) or not np.allclose(cov, cov.T):
            raise ComparisonInputError("cov", f"covariance must be a symmetric {n}x{n} matrix", code="comparison_cov_shape", n=n)
        if not np.all(np.isfinite(u)) or not np.allclose(np.diag(cov), u**2, rtol=1e-9):
            raise ComparisonInputError("cov", "diagonal must equal u² of every participant", code="comparison_cov_diagonal")
    return Results(labs, values, u, dof, in_reference, cov)


def covariance_with_pilot(u: np.ndarray, pilot: int, r: np.ndarray) -> np.ndarray:
    """Covariance matrix where participant i correlates with the pilot by r[i] (e.g. a
    shared travelling-standard characterisation); other pairs are independent."""
    u = np.asarray(u, dtype=float)
    r = np.asarray(r, dtype=float)
    if np.any(np.abs(r) > 1):
        raise ComparisonInputError("r_pilot", "correlation coefficients must lie in [-1, 1]", code="comparison_correlation_range")
    cov = np.diag(u**2)
    col = r * u * u[pilot]
    cov[:, pilot] += col
    cov[pilot, :] += col
    cov[pilot, pilot] = u[pilot] ** 2
    return cov


def _float_array(seq, n: int, field: str, labs) -> np.ndarray:
    arr = np.asarray(seq)
    if arr.shape != (n,):
        raise ComparisonInputError(field, f"expected {n} entries, got {arr.size}", code="comparison_entries", n=n, got=arr.size)
    try:
        return arr.astype(float)
    except (TypeError, ValueError):
        for lab, item in zip(labs, arr):
            try:
                float(item)
            except (TypeError, ValueError):
                raise ComparisonInputError(
                    field, f"not a number: {item!r}", lab, code="number_required", got=repr(item)
                ) from None
        raise


def results_from_rows(rows: list[dict], require_u: bool = True) -> Results:
    """Rows of the input format (dicts) into Results. Empty cells count as absent."""
    if not isinstance(rows, list) or not rows:
        raise ComparisonInputError("rows", "expected a non-empty list of participant results", code="comparison_rows_empty")
    labs, values, us, dofs, refs = [], [], [], [], []
    for index, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise ComparisonInputError("rows", f"row {index} is not an object", code="comparison_row_not_object", index=index)
        unknown = set(row) - set(COLUMNS)
        if unknown:
            raise ComparisonInputError(
                sorted(unknown)[0],
                f"unknown column (expected {', '.join(COLUMNS)})",
                code="comparison_unknown_column",
                options=", ".join(COLUMNS),
            )
        lab = row.get("lab")
        if _absent(lab):
            raise ComparisonInputError("lab", f"row {index} has no laboratory name", code="comparison_row_no_lab", index=index)
        lab = str(lab).strip()
        labs.append(lab)
        if _absent(row.get("value")):
            raise ComparisonInputError("value", "missing", lab, code="required")
        values.append(_number(row["value"], "value", lab))
        u = row.get("u")
        if _absent(u):
            if require_u:
                raise ComparisonInputError(
                    "u",
                    "missing; this estimator needs the standard uncertainty of every result",
                    lab,
                    code="comparison_u_missing",
                )
            us.append(math.nan)
        else:
            us.append(_number(u, "u", lab))
        dof = row.get("dof")
        dofs.append(math.inf if _absent(dof) else _number(dof, "dof", lab))
        ref = row.get("in_reference")
        if _absent(ref):
            refs.append(1)
        else:
            value = _number(ref, "in_reference", lab)
            if value not in (0.0, 1.0):
                raise ComparisonInputError(
                    "in_reference", f"must be 1 or 0, got {ref!r}", lab, code="comparison_one_or_zero", got=repr(ref)
                )
            refs.append(int(value))
    return make_results(labs, values, us, dofs, refs)


def _absent(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number(value, field: str, lab: str) -> float:
    if isinstance(value, bool):
        raise ComparisonInputError(field, f"not a number: {value!r}", lab, code="number_required", got=repr(value))
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise ComparisonInputError(field, f"not a number: {value!r}", lab, code="number_required", got=repr(value)) from None
    if math.isnan(number):
        raise ComparisonInputError(field, "not a number: NaN", lab, code="number_required", got="NaN")
    return number


def parse_rows(text: str, fmt: str) -> list[dict]:
    """Parse the text of an input file (``csv`` or ``json``) into rows of the contract."""
    if fmt == "json":
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ComparisonInputError(
                "file", f"invalid JSON: {exc.msg} at line {exc.lineno}", code="file_bad_json", msg=exc.msg, line=exc.lineno
            ) from None
        if not isinstance(rows, list):
            raise ComparisonInputError("file", "JSON input must be a list of objects", code="comparison_json_not_list")
        return rows
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
        if reader.fieldnames is None:
            raise ComparisonInputError("file", "CSV input is empty", code="comparison_csv_empty")
        header = [name.strip() for name in reader.fieldnames]
        for required in ("lab", "value"):
            if required not in header:
                raise ComparisonInputError(required, "column missing from the CSV header", code="comparison_column_missing")
        rows = []
        for raw in reader:
            if None in raw:
                raise ComparisonInputError(
                    "file",
                    f"CSV line {reader.line_num} has more cells than the header",
                    code="comparison_csv_cells",
                    line=reader.line_num,
                )
            row = {key.strip(): value for key, value in raw.items()}
            if all(_absent(v) for v in row.values()):
                continue
            rows.append(row)
        return rows
    raise ComparisonInputError(
        "format", f"unknown input format {fmt!r} (expected csv or json)", code="one_of", options="csv, json", got=repr(fmt)
    )
