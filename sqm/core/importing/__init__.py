"""All-or-nothing imports of exchange files (CSV in UTF-8 or declared GBK, and XLSX).

An importer streams the file, validates every row, writes valid rows in batches inside one
transaction and, if any row was bad, rolls everything back and reports each bad row as
`file:line: column: reason`. The same code serves `sqm import`, the upload page and the
benchmark. See docs/formats.md for the columns.
"""

from sqm.core.importing.base import (  # noqa: F401
    ImportAborted,
    Importer,
    ImportResult,
    RowError,
    register,
    registry,
    run_import,
)
