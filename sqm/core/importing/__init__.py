"""All-or-nothing imports of exchange files (CSV in UTF-8 or declared GBK, and XLSX).

An importer streams the file and validates every row (reading the database only, outside any
transaction); if any row was bad it reports each as `file:line: column: reason` and writes
nothing. Otherwise one transaction writes the checked rows in batches (see base.run_import).
The same code serves `sqm import`, the upload pages and the benchmarks. See docs/formats.md
for the columns.
"""

from sqm.core.importing.base import (  # noqa: F401
    ImportAborted,
    Importer,
    ImportResult,
    RowError,
    kind_label,
    may_upload,
    register,
    registry,
    run_import,
    upload_kinds,
)
