"""CSV that a spreadsheet opens as data, never as formulas (OWASP "CSV injection").

A spreadsheet may split a cell again on `,`, `;` or tab (whichever its locale
takes for a separator), and runs any piece that starts with `=`, `+`, `-`,
`@`, tab or carriage return. Such a cell gets a leading `'` (shown as text),
and every cell is quoted, so no locale's separator splits it.
"""

import csv
import io
import re
from collections.abc import Iterable, Sequence

_SEPARATORS = re.compile(r"[,;\t]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """The cell as text a spreadsheet will not run; numbers and other values are left alone."""
    if not isinstance(value, str):
        return value
    if value.startswith(_FORMULA_START) or any(
        piece.lstrip(" ").startswith(_FORMULA_START) for piece in _SEPARATORS.split(value)
    ):
        return "'" + value
    return value


def csv_document(rows: Iterable[Sequence]) -> bytes:
    """UTF-8 CSV with a BOM (so Excel reads accents right), every cell quoted and made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
