"""`jiliang`, the dispatcher over the project's management commands: one system of commands,
each in the app that owns it, listed by `jiliang --help`; the pure-core tools run without a
database (these tests have none: pytest-django refuses any query)."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management import get_commands

from jiliang.cli import main

SRC = Path(__file__).resolve().parent.parent / "src" / "jiliang"

# Where each `jiliang` command lives (DESIGN.md: every app has management/commands/).
OWNERS = {
    "audit": "jiliang.audit",
    "certificate": "jiliang.certificates",
    "dcc": "jiliang.certificates",
    "comparison": "jiliang.comparisons",
    "prepack": "jiliang.supervision.prepack",
    "ingest": "jiliang.supervision.telemetry",
    "simulate": "jiliang.supervision.telemetry",
    "trace": "jiliang.traceability",
    "impact": "jiliang.traceability",
    "uncertainty": "jiliang.calculations",
    "due": "jiliang.verification",
    "coverage": "jiliang.verification",
    "demo": "jiliang.console",  # it makes users and records of every app: the top of the layers
    "generate": "jiliang.registry",
    "import_registry": "jiliang.registry",
    "export_registry": "jiliang.registry",
    "serve": "jiliang.console",
}


def test_every_command_is_a_management_command_of_its_app():
    commands = get_commands()
    assert {name: commands.get(name) for name in OWNERS} == OWNERS
    assert not (SRC / "commands").exists()


def test_help_lists_the_project_commands_with_their_one_line_help(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    listed = {line.split()[0]: line.split(None, 1)[1] for line in out.split("commands:\n", 1)[1].splitlines() if line.strip()}
    expected = {"import", "export", "migrate", "manage"} | set(OWNERS) - {"import_registry", "export_registry"}
    assert expected <= set(listed)
    assert "import_registry" not in listed and "export_registry" not in listed  # shown by their short names
    assert listed["prepack"] == "net content of prepackaged goods (定量包装商品净含量, JJF 1070)"
    assert listed["due"] == "instruments due, overdue or at end of life 到期与超期未检"


def test_no_command_prints_the_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "commands:" in capsys.readouterr().err


def test_an_unknown_command_is_one_line_and_exit_2(capsys):
    assert main(["frobnicate"]) == 2
    assert capsys.readouterr().err == "jiliang: error: unknown command 'frobnicate' (jiliang --help lists them)\n"


def test_bad_arguments_exit_2_with_the_usage(capsys):
    assert main(["prepack", "plan", "many"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: jiliang prepack plan") and "invalid int value: 'many'" in err


def test_pure_core_tools_run_without_a_database(tmp_path, capsys):
    assert main(["prepack", "tolerance", "500", "--unit", "g", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"edition": "JJF 1070-2005", "T": 15.0}
    model = tmp_path / "model.json"
    model.write_text(json.dumps({"outputs": {"y": "2 * x"}, "inputs": {"x": {"value": 1.0, "u": 0.1}}}))
    assert main(["uncertainty", "evaluate", str(model), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["outputs"]["y"]["u"] == 0.2
    results = tmp_path / "round.csv"
    results.write_text("lab,value,u\nA,1.0,0.1\nB,1.1,0.1\n")
    assert main(["comparison", "compute", str(results), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["reference"]["value"] == 1.05
    record = tmp_path / "record.json"
    assert main(["dcc", "example-record", "--results", "2"]) == 0
    record.write_text(capsys.readouterr().out)
    assert main(["dcc", "build", str(record), "-o", str(tmp_path / "dcc.xml")]) == 0
    assert main(["dcc", "validate", str(tmp_path / "dcc.xml")]) == 0
    assert "valid (DCC 3.3.0" in capsys.readouterr().out


def test_exit_codes_of_the_commands_pass_through(tmp_path, capsys):
    xml = tmp_path / "dcc.xml"
    xml.write_text("<not-a-dcc/>")
    assert main(["dcc", "validate", str(xml)]) == 1
    assert "NOT valid" in capsys.readouterr().out


def test_manage_passes_through_to_any_django_command(capsys):
    assert main(["manage", "check"]) == 0
    assert "no issues" in capsys.readouterr().out
