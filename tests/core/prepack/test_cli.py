"""`jiliang prepack`, the prepack app's management command: the --json shapes are a
contract (issue 9), key for key."""

import json

import pytest

from jiliang.cli import main
from jiliang.core.errors import InputError
from tests.command_line import run_command

JUDGE_KEYS = ["edition", "T", "n", "lambda", "mean", "s", "mean_ok", "short_T", "short_2T", "allowed_short_T", "pass", "reasons"]


def run(argv):
    return run_command("prepack", *argv)


def test_tolerance_json(capsys):
    assert run(["tolerance", "150", "--unit", "g", "--json"]) == 0
    # 附表3: 100~200 g -> 4.5 % of 150 = 6.75 -> 6.8
    assert json.loads(capsys.readouterr().out) == {"edition": "JJF 1070-2005", "T": 6.8}


def test_tolerance_text_names_the_edition(capsys):
    run(["tolerance", "2", "--unit", "L"])
    out = capsys.readouterr().out
    assert "JJF 1070-2005" in out and "0.03 L" in out


def test_plan_json(capsys):
    assert run(["plan", "3201", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"edition": "JJF 1070-2005", "n": 125, "lambda": 0.234, "allowed_short_T": 7}


def test_plan_small_batch_json(capsys):
    run(["plan", "7", "--json"])
    assert json.loads(capsys.readouterr().out) == {"edition": "JJF 1070-2005", "n": 7, "lambda": None, "allowed_short_T": 0}


def test_judge_json_keys_and_values(tmp_path, capsys):
    values = [498, 501, 503, 480, 499, 500, 502, 497, 505, 500, 499, 501, 470]
    path = tmp_path / "sample.json"
    path.write_text(json.dumps({"nominal": 500, "unit": "g", "batch_size": 60, "values": values}))
    assert run(["judge", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out) == JUDGE_KEYS
    # two units short by more than T = 15 g (480 and 470), one allowed for n = 13
    assert (out["short_T"], out["short_2T"], out["allowed_short_T"], out["pass"]) == (2, 0, 1, False)
    assert len(out["reasons"]) == 1


def test_judge_gross_and_tare(tmp_path, capsys):
    gross = [512.0 + i * 0.1 for i in range(10)]
    path = tmp_path / "sample.json"
    path.write_text(json.dumps({"nominal": 500, "unit": "g", "batch_size": 20, "gross": gross, "tare": [12.0] * 10}))
    run(["judge", str(path), "--json", "--edition", "2005"])
    out = json.loads(capsys.readouterr().out)
    assert out["pass"] is True and out["mean"] == pytest.approx(500.45)


def test_judge_bad_json_names_the_file(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{nominal: 500")
    with pytest.raises(InputError, match="^.*broken.json: not valid JSON"):
        run(["judge", str(path), "--json"])


def test_errors_are_one_line(capsys):
    assert main(["prepack", "tolerance", "500", "--unit", "oz"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "jiliang: error: unit: unknown unit 'oz'; expected one of g, kg, mL, L, m, m2, count"
