"""`jiliang uncertainty evaluate`, the calculations app's management command."""

import json

import pytest

from jiliang.core.errors import InputError
from tests.command_line import run_command

DOC = {
    "outputs": {"P": "V**2 / R"},
    "inputs": {"V": {"value": 5.0, "u": 0.01}, "R": {"value": 10.0, "distribution": "rectangular", "half_width": 0.05}},
}


def run(argv):
    return run_command(*argv)


def test_json_output_is_the_contract(tmp_path, capsys):
    path = tmp_path / "model.json"
    path.write_text(json.dumps(DOC))
    assert run(["uncertainty", "evaluate", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["method"] == "gum" and out["outputs"]["P"]["value"] == pytest.approx(2.5)


def test_yaml_both_with_plot_and_table(tmp_path, capsys):
    yaml = pytest.importorskip("yaml")
    path = tmp_path / "model.yaml"
    path.write_text(yaml.safe_dump(DOC))
    plot = tmp_path / "hist.svg"
    assert (
        run(["uncertainty", "evaluate", str(path), "--method", "both", "--trials", "20000", "--seed", "3", "--plot", str(plot)])
        == 0
    )
    text = capsys.readouterr().out
    assert "budget" in text and "JCGM 101" in text
    assert plot.read_bytes().lstrip().startswith(b"<?xml")


def test_png_histogram(tmp_path):
    path = tmp_path / "model.json"
    path.write_text(json.dumps(DOC))
    plot = tmp_path / "hist.png"
    assert (
        run(
            [
                "uncertainty",
                "evaluate",
                str(path),
                "--method",
                "mc",
                "--trials",
                "20000",
                "--seed",
                "1",
                "--plot",
                str(plot),
                "--json",
            ]
        )
        == 0
    )
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_errors_are_one_line(tmp_path):
    with pytest.raises(InputError, match="missing.json: file not found"):
        run(["uncertainty", "evaluate", str(tmp_path / "missing.json")])
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"outputs": {"P": "V / Q"}, "inputs": {"V": {"value": 1, "u": 0.1}}}))
    with pytest.raises(ValueError, match="bad.json, outputs.P: unknown name 'Q'"):
        run(["uncertainty", "evaluate", str(bad)])
