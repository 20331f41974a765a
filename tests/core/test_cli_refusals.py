"""Refusals that name the file, the row and field, and the reason (issue 16, items 10 and 11),
through `jiliang …` exactly as an operator runs it: one line on stderr, exit status 2, no
traceback, no NumPy warning; in Chinese when the operator's locale is Chinese."""

from __future__ import annotations

import json
import time
import warnings
import zipfile

import pytest

from jiliang.cli import main

MODEL = {
    "outputs": {"P": "V**2 / R"},
    "inputs": {
        "V": {"value": 5.0, "distribution": "normal", "u": 0.01},
        "R": {"value": 10.0, "distribution": "rectangular", "half_width": 0.05},
    },
}


def run(capsys, *argv) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture(autouse=True)
def english(monkeypatch):
    for name in ("JILIANG_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


def test_a_billion_trials_is_refused_for_its_memory_not_by_a_memoryerror(tmp_path, capsys):
    model = tmp_path / "model.json"
    model.write_text(json.dumps(MODEL))
    status, _, err = run(capsys, "uncertainty", "evaluate", str(model), "--method", "mc", "--trials", "1e10")
    assert status == 2
    assert err.startswith(f"jiliang: error: {model}, trials: 10000000000 trials of 1 output(s) need 80 GB of memory")
    assert err.count("\n") == 1


def test_an_integer_beyond_a_double_names_its_field(tmp_path, capsys):
    model = tmp_path / "model.json"
    model.write_text(json.dumps(MODEL).replace('"value": 5.0', '"value": 1' + "0" * 400))
    status, _, err = run(capsys, "uncertainty", "evaluate", str(model))
    assert status == 2 and err.strip() == f"jiliang: error: {model}, inputs.V.value: must be finite, got an integer of 401 digits"


@pytest.mark.parametrize("command", [["uncertainty", "evaluate"], ["comparison", "compute"], ["prepack", "judge"]])
def test_a_binary_or_zip_file_is_refused_by_name(tmp_path, capsys, command):
    workbook = tmp_path / "results.xlsx"
    with zipfile.ZipFile(workbook, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    status, _, err = run(capsys, *command, str(workbook))
    assert status == 2 and err.startswith(f"jiliang: error: {workbook}: is not UTF-8 text (byte ")


def test_a_comparison_of_one_laboratory_is_refused(tmp_path, capsys):
    results = tmp_path / "one.csv"
    results.write_text("lab,value,u\nA,10.0,0.1\n")
    status, out, err = run(capsys, "comparison", "compute", str(results))
    assert status == 2 and out == ""
    assert err.strip() == f"jiliang: error: {results}, field 'lab': a comparison needs at least two laboratories, got 1"


def test_a_subnormal_uncertainty_is_refused_not_printed_as_dashes(tmp_path, capsys):
    results = tmp_path / "tiny.csv"
    results.write_text("lab,value,u\nA,10.0,0.1\nB,10.1,1e-320\nC,9.9,0.2\n")
    status, out, err = run(capsys, "comparison", "compute", str(results))
    assert status == 2 and out == ""
    assert err.startswith(f"jiliang: error: {results}, lab 'B', field 'u': standard uncertainty 1e-320 is outside [1.49e-154,")


def test_extreme_values_give_a_refusal_and_no_numpy_warning(tmp_path, capsys):
    """Every warning shown (as ``python -W default`` would) and caught: a NumPy overflow
    warning would reach the operator's terminal beside the refusal."""
    results = tmp_path / "huge.csv"
    results.write_text("lab,value,u\nA,1e150,1e-150\nB,-1e150,1e-150\n")

    def compute(*options):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            status, _, err = run(capsys, "comparison", "compute", str(results), *options)
        assert not caught, [str(w.message) for w in caught]
        return status, err

    for estimator in ("weighted-mean", "paule-mandel", "dersimonian-laird", "median", "algorithm-a"):
        status, err = compute("--estimator", estimator, "--sigma-pt", "0.1")
        if status:  # computed where the doubles allow it; refused by name where they do not
            assert status == 2 and err.count("\n") == 1 and str(results) in err, err
    status, err = compute("--estimator", "paule-mandel")
    assert status == 2 and "reference value of these results is not a finite number" in err


def test_booleans_are_not_weighings(tmp_path, capsys):
    sample = tmp_path / "sample.json"
    sample.write_text(json.dumps({"nominal": 500, "unit": "g", "batch_size": 10, "values": [True] * 10}))
    status, out, err = run(capsys, "prepack", "judge", str(sample))
    assert status == 2 and out == ""
    assert err.strip() == f"jiliang: error: {sample}, values[0]: must be a number, got True"


def test_the_refusal_speaks_chinese_in_a_chinese_locale(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    results = tmp_path / "one.csv"
    results.write_text("lab,value,u\nA,10.0,0.1\n")
    status, _, err = run(capsys, "comparison", "compute", str(results))
    assert status == 2 and err.strip() == f"jiliang: error: {results}，lab：比对至少需要 2 个实验室，实际 1 个"


def test_a_large_comparison_on_the_cli_is_as_quick_as_on_the_api(tmp_path, capsys):
    """50 000 laboratories: the CLI printed a rich table cell by cell (30 000 rows took a
    minute, 200 000 over two and 1 GB). Table and JSON now cost what writing the text costs."""
    results = tmp_path / "many.csv"
    results.write_text(
        "lab,value,u\n" + "".join(f"L{i},{10 + (i % 17) * 0.01:.4f},{0.05 + (i % 7) * 0.01:.3f}\n" for i in range(50_000))
    )
    for extra in ([], ["--json"]):
        started = time.perf_counter()
        status, out, _ = run(capsys, "comparison", "compute", str(results), "--estimator", "weighted-mean", *extra)
        elapsed = time.perf_counter() - started
        assert status == 0 and elapsed < 10, (extra, elapsed)
        if extra:
            assert len(json.loads(out)["participants"]) == 50_000
        else:
            assert out.count("\n") == 50_000 + 3  # summary, chi², header, one line a laboratory


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("zh_CN.UTF-8", "内存不足以处理此输入；请减少数量（行数、试验次数或输出量）"),
        ("C.UTF-8", "not enough memory for this input; ask for less (fewer rows, trials or outputs)"),
    ],
)
def test_an_operators_error_line_is_in_the_operators_language(monkeypatch, lang, expected):
    from jiliang.errors import describe

    monkeypatch.setenv("LANG", lang)
    assert describe(MemoryError()) == expected
