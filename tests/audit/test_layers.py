"""The audit ledger sits below the apps it records: it imports none of them (issue 24, item 4),
and the traceability snapshot reads the ledger's change feed, not its table."""

from __future__ import annotations

import ast
from pathlib import Path

import jiliang

SRC = Path(jiliang.__file__).parent


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_the_audit_app_imports_no_app_it_records_and_no_command_module():
    for path in (SRC / "audit").rglob("*.py"):
        for name in _imports(path):
            assert not name.startswith(("jiliang.registry", "jiliang.cli", "jiliang.traceability")), (path, name)


def test_the_traceability_loader_reads_the_change_feed_not_the_ledger_table():
    imports = _imports(SRC / "registry" / "graph.py")
    assert "jiliang.audit" in imports and not any(name.startswith("jiliang.audit.models") for name in imports)
    assert "AuditEntry" not in (SRC / "registry" / "graph.py").read_text(encoding="utf-8")
