"""Import and export of every registry table in CSV, JSON Lines and XLSX.

Foreign keys are written as natural keys (a region code, a credit code, a certificate
number, a person as organisation credit code + name …), so exported files are readable
and import into an empty database without ids.

Export streams ``values_list`` rows straight from the database. Import is all-or-nothing:
every row is parsed and checked (types, choices, required fields, validators, natural-key
references to the database or to rows of the same import, the models' ``clean()`` and
their check constraints, duplicate keys); every error is collected, and only an import
without any error is written, in bulk, inside one transaction, and put on the audit ledger
in batches (``jiliang.audit.batches``).

The modules: ``tables`` (what each table's file holds), ``export``, ``readers`` (files to
raw rows), ``values`` (raw values to field values), ``constraints`` (CHECK constraints on
rows), ``csvtext`` (formula-safe CSV text), ``errors`` and ``importer``.
"""

from .constraints import _check_q, check_constraints
from .csvtext import escape_csv_text, unescape_csv_text
from .errors import BadValue, ImportRejected, RowError
from .export import export_registry, iter_rows
from .importer import import_paths, import_sources
from .readers import NOT_UTF8, Source, detect_format, expand_paths, open_sources
from .tables import FORMATS, TABLE_LIST, TABLE_NAMES, TABLES, Table, column_names, columns, key_paths

__all__ = [
    "FORMATS",
    "NOT_UTF8",
    "TABLES",
    "TABLE_LIST",
    "TABLE_NAMES",
    "BadValue",
    "ImportRejected",
    "RowError",
    "Source",
    "Table",
    "_check_q",
    "check_constraints",
    "column_names",
    "columns",
    "detect_format",
    "escape_csv_text",
    "expand_paths",
    "export_registry",
    "import_paths",
    "import_sources",
    "iter_rows",
    "key_paths",
    "open_sources",
    "unescape_csv_text",
]
