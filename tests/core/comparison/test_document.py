"""The JSON contract of issue 5, the input reader, edge cases, the CLI and the plots."""

import json

import numpy as np
import pytest

from jiliang.core.comparison import ComparisonInputError, compute_document, parse_rows
from jiliang.core.comparison.plots import comparison_figure
from tests.command_line import run_command

from .test_algorithm_a import E3

ROWS = [
    {"lab": "NIM", "value": 10.02, "u": 0.02},
    {"lab": "PTB", "value": 9.98, "u": 0.03},
    {"lab": "NPL", "value": 10.05, "u": 0.04},
    {"lab": "NIST", "value": 10.00, "u": 0.02},
    {"lab": "KRISS", "value": 9.97, "u": 0.05},
    {"lab": "X", "value": 10.40, "u": 0.05},
]
PARTICIPANT_KEYS = ["lab", "d", "U_d", "En", "z", "zeta"]


def assert_contract(doc):
    assert list(doc) == ["estimator", "reference", "chi2", "excluded", "participants"]
    assert list(doc["reference"]) == ["value", "u", "s"]
    if doc["chi2"] is not None:
        assert list(doc["chi2"]) == ["observed", "dof", "p_value", "consistent"]
    for row in doc["participants"]:
        assert list(row) == PARTICIPANT_KEYS
    json.dumps(doc, allow_nan=False)


@pytest.mark.parametrize(
    "estimator",
    ["weighted-mean", "cox-a", "mean", "median", "dersimonian-laird", "paule-mandel", "algorithm-a", "power-moderated-mean"],
)
def test_every_estimator_follows_the_contract(estimator):
    doc = compute_document(ROWS, estimator)
    assert_contract(doc)
    assert doc["estimator"] == estimator
    assert [p["lab"] for p in doc["participants"]] == [r["lab"] for r in ROWS]
    assert (doc["chi2"] is not None) == (estimator in ("weighted-mean", "cox-a"))
    assert (doc["reference"]["s"] is not None) == (estimator == "algorithm-a")
    for p in doc["participants"]:
        assert p["En"] == pytest.approx(p["d"] / p["U_d"])
        assert (p["z"] is not None) == (estimator == "algorithm-a")


def test_weighted_mean_document_values():
    doc = compute_document(ROWS, "weighted-mean", sigma_pt=0.1)
    x = np.array([r["value"] for r in ROWS])
    u = np.array([r["u"] for r in ROWS])
    w = 1 / u**2
    ref, u_ref = (w * x).sum() / w.sum(), 1 / np.sqrt(w.sum())
    assert doc["reference"]["value"] == pytest.approx(ref)
    assert doc["reference"]["u"] == pytest.approx(u_ref)
    assert doc["chi2"]["dof"] == 5 and doc["chi2"]["consistent"] is False
    first = doc["participants"][0]
    assert first["d"] == pytest.approx(x[0] - ref)
    assert first["U_d"] == pytest.approx(2 * np.sqrt(u[0] ** 2 - u_ref**2))
    assert first["z"] == pytest.approx((x[0] - ref) / 0.1)
    assert first["zeta"] == pytest.approx((x[0] - ref) / np.sqrt(u[0] ** 2 + u_ref**2))


def test_cox_a_and_in_reference_exclusions():
    rows = [dict(r) for r in ROWS] + [{"lab": "GUEST", "value": 10.01, "u": 0.1, "in_reference": 0}]
    doc = compute_document(rows, "cox-a")
    assert doc["excluded"] == ["X", "GUEST"]
    assert doc["chi2"]["consistent"] is True and doc["chi2"]["dof"] == 4
    guest = doc["participants"][-1]
    assert guest["U_d"] == pytest.approx(2 * np.sqrt(0.1**2 + doc["reference"]["u"] ** 2))


def test_algorithm_a_document_uses_robust_sd_for_z():
    rows = [{"lab": f"L{i}", "value": v} for i, v in enumerate(E3)]
    doc = compute_document(rows, "algorithm-a")
    ref = doc["reference"]
    assert ref["u"] == pytest.approx(1.25 * ref["s"] / np.sqrt(12))
    p = doc["participants"][0]
    assert p["z"] == pytest.approx((1.69 - ref["value"]) / ref["s"])
    assert p["U_d"] is None and p["En"] is None and p["zeta"] is None  # no u given
    assert compute_document(rows, "algorithm-a", sigma_pt=0.25)["participants"][0]["z"] == pytest.approx(
        (1.69 - ref["value"]) / 0.25
    )


def test_two_participants():
    doc = compute_document([{"lab": "A", "value": 1.0, "u": 0.1}, {"lab": "B", "value": 1.3, "u": 0.1}], "weighted-mean")
    assert doc["reference"]["value"] == pytest.approx(1.15)
    assert doc["chi2"]["dof"] == 1
    a, b = doc["participants"]
    assert a["En"] == pytest.approx(-b["En"])
    # u²(d) = u² − u²/2 for two equal uncertainties.
    assert a["U_d"] == pytest.approx(2 * np.sqrt(0.01 / 2))


def test_two_inconsistent_participants_keep_the_more_precise_in_cox_a():
    rows = [{"lab": "A", "value": 1.0, "u": 0.02}, {"lab": "B", "value": 2.0, "u": 0.01}]
    doc = compute_document(rows, "cox-a")
    assert doc["excluded"] == ["A"]
    assert doc["reference"] == {"value": 2.0, "u": 0.01, "s": None}
    assert doc["participants"][1]["En"] is None  # B alone is the reference: U_d = 0


def test_one_huge_outlier():
    rows = ROWS[:5] + [{"lab": "BAD", "value": 1e6, "u": 0.05}]
    cox = compute_document(rows, "cox-a")
    assert cox["excluded"] == ["BAD"]
    robust = compute_document(rows, "algorithm-a")
    assert abs(robust["reference"]["value"] - 10.0) < 0.05
    assert robust["participants"][-1]["z"] > 1000
    assert compute_document(rows, "median")["reference"]["value"] == pytest.approx(10.01)


def test_identical_values():
    rows = [{"lab": f"L{i}", "value": 5.0, "u": 0.1 * (i + 1)} for i in range(4)]
    doc = compute_document(rows, "weighted-mean")
    assert doc["chi2"]["observed"] == pytest.approx(0, abs=1e-20) and doc["chi2"]["consistent"] is True
    assert all(abs(p["d"]) < 1e-14 and abs(p["En"]) < 1e-12 for p in doc["participants"])
    robust = compute_document(rows, "algorithm-a")
    assert robust["reference"]["s"] == 0 and all(p["z"] is None for p in robust["participants"])
    assert compute_document(rows, "paule-mandel")["reference"]["value"] == pytest.approx(5.0)


def test_single_reference_participant_has_no_en():
    rows = [{"lab": "PILOT", "value": 2.0, "u": 0.01}, {"lab": "B", "value": 2.03, "u": 0.01, "in_reference": 0}]
    doc = compute_document(rows, "weighted-mean")
    pilot, b = doc["participants"]
    assert pilot["U_d"] == 0 and pilot["En"] is None
    assert b["En"] == pytest.approx(0.03 / (2 * np.sqrt(2) * 0.01))


@pytest.mark.parametrize("u", [0, -0.1, "0", "abc"])
def test_bad_uncertainty_names_lab_and_field(u):
    rows = [{"lab": "A", "value": 1.0, "u": 0.1}, {"lab": "B", "value": 1.1, "u": u}]
    with pytest.raises(ComparisonInputError) as err:
        compute_document(rows, "weighted-mean")
    assert err.value.lab == "B" and err.value.field == "u"
    assert "'B'" in str(err.value) and "'u'" in str(err.value)


def test_other_input_errors():
    with pytest.raises(ComparisonInputError, match="'u': missing"):
        compute_document([{"lab": "A", "value": 1.0}, {"lab": "B", "value": 2.0, "u": 1}], "weighted-mean")
    assert compute_document([{"lab": "A", "value": 1.0}, {"lab": "B", "value": 2.0}], "mean")["reference"]["value"] == 1.5
    with pytest.raises(ComparisonInputError, match="duplicate"):
        compute_document([{"lab": "A", "value": 1.0, "u": 1}, {"lab": "A", "value": 2.0, "u": 1}], "mean")
    with pytest.raises(ComparisonInputError, match="in_reference"):
        compute_document([{"lab": "A", "value": 1.0, "u": 1, "in_reference": 2}], "mean")
    with pytest.raises(ComparisonInputError, match="estimator"):
        compute_document(ROWS, "mode")
    with pytest.raises(ComparisonInputError, match="sigma_pt"):
        compute_document(ROWS, "mean", sigma_pt=0.0)
    with pytest.raises(ComparisonInputError, match="'dof'"):
        compute_document([{"lab": "A", "value": 1.0, "u": 1, "dof": 0}, {"lab": "B", "value": 1.0, "u": 1}], "mean")


def test_csv_and_json_readers_agree():
    csv_text = "lab,value,u,dof,in_reference\nA,1.0,0.1,,1\nB,1.2,0.1,8,0\n\n"
    json_text = '[{"lab": "A", "value": 1.0, "u": 0.1}, {"lab": "B", "value": 1.2, "u": 0.1, "dof": 8, "in_reference": 0}]'
    a = compute_document(parse_rows(csv_text, "csv"), "weighted-mean")
    b = compute_document(parse_rows(json_text, "json"), "weighted-mean")
    assert a == b and a["excluded"] == ["B"]
    with pytest.raises(ComparisonInputError, match="value"):
        parse_rows("lab,u\nA,1\n", "csv")
    with pytest.raises(ComparisonInputError, match="invalid JSON"):
        parse_rows("[{", "json")


def test_plot_bytes():
    args = (["A", "B"], [1.0, 1.2], [0.2, np.nan], 1.1, 0.1, [-0.1, 0.1], [0.15, 0.15])
    png = comparison_figure(*args, fmt="png")
    svg = comparison_figure(*args, fmt="svg")
    assert png.startswith(b"\x89PNG") and b"<svg" in svg
    assert b"not in reference value" in comparison_figure(*args, fmt="svg", used=[True, False])
    with pytest.raises(ComparisonInputError):
        comparison_figure(*args, fmt="gif")


def run_cli(argv):
    return run_command(*argv)


def test_cli_json_table_and_plot(tmp_path, capsys):
    path = tmp_path / "round.csv"
    path.write_text("lab,value,u\n" + "".join(f"{r['lab']},{r['value']},{r['u']}\n" for r in ROWS), encoding="utf-8")
    assert (
        run_cli(["comparison", "compute", str(path), "--estimator", "cox-a", "--json", "--plot", str(tmp_path / "out.svg")]) == 0
    )
    doc = json.loads(capsys.readouterr().out)
    assert doc == compute_document(ROWS, "cox-a")
    assert b"<svg" in (tmp_path / "out.svg").read_bytes()
    assert run_cli(["comparison", "compute", str(path), "--sigma-pt", "0.05"]) == 0
    out = capsys.readouterr().out
    assert "NIST" in out and "unsatisfactory" in out
    with pytest.raises(ComparisonInputError, match=r"\.svg"):  # in the operator's language
        run_cli(["comparison", "compute", str(path), "--plot", str(tmp_path / "x.gif")])
