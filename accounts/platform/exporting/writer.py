"""The one writer: declared columns and rows of Python values in, CSV or XLSX out.

Each column's kind (columns.py) picks how its cells are written, once per file, not per cell:
text through the cell rules (cells.py), numbers as plain digits or numeric cells, dates as ISO
dates or date cells. `iter_csv` yields the file in chunks of CHUNK_ROWS rows (a streamed response
that yields row by row is about three times slower through gunicorn, PITFALLS.md); `write_csv` and
`write_xlsx` give the whole file.
"""

import csv
import datetime
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from decimal import ROUND_HALF_UP, Decimal

import openpyxl
from django.utils import timezone
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from accounts.platform.exporting.cells import plain_number, safe_text
from accounts.platform.exporting.columns import EXCEL, Column, CsvDialect, Kind, as_column

__all__ = ["CHUNK_ROWS", "iter_csv", "write_csv", "write_xlsx"]

CHUNK_ROWS = 2_000


# --- CSV cells: each formatter returns the cell's text, or None for a missing value ----------


def _any_csv(value):
    """A value written by its own type: what a text column does with a value that is not text."""
    if value is None:
        return None
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, Decimal):
        return plain_number(value) if value.is_finite() else None
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return safe_text(str(value))


def _fixed(value, decimals: int) -> str | None:
    """`value` rounded half-up to exactly `decimals` decimals, in plain digits ("-0.00" never)."""
    if isinstance(value, float):
        value = Decimal(repr(value))
    elif not isinstance(value, Decimal):
        value = Decimal(value)
    if not value.is_finite():
        return None
    value = value.quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    return format(abs(value) if value == 0 else value, "f")


def _number_csv(column: Column, dialect: CsvDialect):
    decimals, point = column.decimals, dialect.decimal_point

    def cell(value):
        if value is None:
            return None
        if isinstance(value, str):
            raise TypeError(f"{column.name}: a {column.kind} column was given the text {value!r}.")
        if isinstance(value, bool):
            value = int(value)
        if column.kind is Kind.MONEY and isinstance(value, float):
            raise TypeError(f"{column.name}: money is a Decimal, never a float ({value!r}).")
        if decimals is not None:
            written = _fixed(value, decimals)
        elif isinstance(value, Decimal):
            written = plain_number(value) if value.is_finite() else None
        else:
            written = str(value)
        return written if written is None or point == "." else written.replace(".", point)

    return cell


def _date_csv(column: Column, dialect: CsvDialect):
    pattern = dialect.date_format

    def cell(value):
        if isinstance(value, datetime.date):
            return value.strftime(pattern) if pattern else value.isoformat()
        return _any_csv(value)

    return cell


def _boolean_csv(value):
    if value is None:
        return None
    return "1" if value else "0"


def _csv_formatter(column: Column, dialect: CsvDialect):
    if column.kind is Kind.TEXT:
        return _any_csv
    if column.kind is Kind.DATE:
        return _date_csv(column, dialect)
    if column.kind is Kind.BOOLEAN:
        return _boolean_csv
    return _number_csv(column, dialect)


def _line_writer(dialect: CsvDialect, out: io.StringIO):
    """A function writing one row of formatted cells to `out` (`always`: for each cell, whether
    it is quoted whatever it holds; a dialect with `quote_text` quotes its text cells)."""
    if dialect.quote_text:
        return _quoting_writer(dialect, out)
    if not dialect.quote_empty:
        # Python's csv module: quotes a cell holding the delimiter, a quote or a line end.
        writer = csv.writer(
            out, delimiter=dialect.delimiter, lineterminator=dialect.line_terminator
        )
        return lambda cells, always=None: writer.writerow(
            ["" if cell is None else cell for cell in cells]
        )
    # PostgreSQL's COPY: quotes a cell holding the delimiter, a quote, \r or \n, and an empty text
    # (a missing value stays empty).
    special = re.compile(f'[{re.escape(dialect.delimiter)}"\r\n]')
    delimiter, end = dialect.delimiter, dialect.line_terminator

    def quoted(cell):
        if cell is None:
            return ""
        if cell == "" or special.search(cell):
            return '"' + cell.replace('"', '""') + '"'
        return cell

    return lambda cells, always=None: out.write(delimiter.join(map(quoted, cells)) + end)


def _quoting_writer(dialect: CsvDialect, out: io.StringIO):
    """Text cells always quoted ("S"), other cells only when they hold the delimiter, a quote or
    a line end; a missing value is empty."""
    special = re.compile(f'[{re.escape(dialect.delimiter)}"\r\n]')
    delimiter, end = dialect.delimiter, dialect.line_terminator

    def quoted(cell, always):
        if cell is None:
            return ""
        if always or special.search(cell):
            return '"' + cell.replace('"', '""') + '"'
        return cell

    def write(cells, always=None):
        flags = always or [False] * len(cells)
        out.write(delimiter.join(map(quoted, cells, flags)) + end)

    return write


def _preamble_cell(value, dialect: CsvDialect):
    """A cell of a line before the header row: text formula-safe, numbers plain (with the
    dialect's decimal point), dates as the dialect writes them."""
    if isinstance(value, datetime.date) and dialect.date_format:
        return value.strftime(dialect.date_format)
    cell = _any_csv(value)
    if isinstance(value, Decimal) and cell is not None and dialect.decimal_point != ".":
        cell = cell.replace(".", dialect.decimal_point)
    return cell


def _csv_text_chunks(
    columns,
    rows: Iterable[Sequence],
    dialect: CsvDialect,
    chunk_rows: int,
    preamble: Iterable[Sequence] = (),
):
    columns = [as_column(column) for column in columns]
    formatters = [_csv_formatter(column, dialect) for column in columns]
    out = io.StringIO()
    write = _line_writer(dialect, out)
    for line in preamble:
        write(
            [_preamble_cell(value, dialect) for value in line],
            [isinstance(value, str) for value in line],
        )
    write([safe_text(column.title) for column in columns])
    text_cells = [column.kind is Kind.TEXT for column in columns]
    count = 0
    for row in rows:
        write(
            [format_cell(value) for format_cell, value in zip(formatters, row, strict=True)],
            text_cells,
        )
        count += 1
        if count == chunk_rows:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
            count = 0
    if out.tell():
        yield out.getvalue()


def write_csv(
    columns, rows: Iterable[Sequence], dialect: CsvDialect = EXCEL, *, preamble=()
) -> str:
    """The whole CSV (header row first) of `rows` under `columns` (Columns, or bare names for
    text columns). `preamble`: lines written before the header row (DATEV's format line), each
    a sequence of values."""
    return "".join(_csv_text_chunks(columns, rows, dialect, CHUNK_ROWS, preamble))


def iter_csv(
    columns,
    rows: Iterable[Sequence],
    dialect: CsvDialect = EXCEL,
    *,
    chunk_rows=CHUNK_ROWS,
    preamble=(),
) -> Iterator[bytes]:
    """The CSV as encoded chunks of `chunk_rows` rows (the preamble and the header ride with
    the first)."""
    for chunk in _csv_text_chunks(columns, rows, dialect, chunk_rows, preamble):
        yield chunk.encode(dialect.encoding, dialect.encoding_errors)


# --- XLSX cells: typed --------------------------------------------------------------------------


def _number_format(decimals: int) -> str:
    return "0." + "0" * decimals if decimals else "0"


def _any_xlsx(sheet, value):
    """A cell typed by its value: what a text column does with a value that is not text."""
    if isinstance(value, Decimal) and not value.is_finite():
        value = None
    elif isinstance(value, datetime.datetime):
        value = timezone.localtime(value).replace(tzinfo=None) if value.tzinfo else value
    elif value is not None and not isinstance(value, int | float | Decimal | datetime.date):
        # Control characters cannot be stored in a workbook: they are dropped.
        value = safe_text(ILLEGAL_CHARACTERS_RE.sub("", str(value)))
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # text is text, even "=…" (neutralised above anyway)
    elif isinstance(value, Decimal):
        cell.number_format = _number_format(max(2, len(plain_number(value).partition(".")[2])))
    elif isinstance(value, float):
        cell.number_format = "0.00"
    return cell


def _number_xlsx(column: Column):
    decimals = column.decimals

    def cell(sheet, value):
        if isinstance(value, str | datetime.date):
            raise TypeError(f"{column.name}: a {column.kind} column was given {value!r}.")
        if isinstance(value, bool):
            value = int(value)
        if column.kind is Kind.MONEY and isinstance(value, float):
            raise TypeError(f"{column.name}: money is a Decimal, never a float ({value!r}).")
        if decimals is None or value is None:
            return _any_xlsx(sheet, value)
        fixed = _fixed(value, decimals)
        written = WriteOnlyCell(sheet, value=None if fixed is None else Decimal(fixed))
        written.number_format = _number_format(decimals)
        return written

    return cell


def _boolean_xlsx(sheet, value):
    return WriteOnlyCell(sheet, value=None if value is None else bool(value))


def _xlsx_formatter(column: Column):
    if column.kind is Kind.BOOLEAN:
        return _boolean_xlsx
    if column.kind in (Kind.NUMBER, Kind.MONEY):
        return _number_xlsx(column)
    return _any_xlsx  # text, and dates (a date is a date cell)


def write_xlsx(columns, rows: Iterable[Sequence], *, title: str = "Export") -> bytes:
    """A workbook of one sheet: a bold, frozen header row, then typed cells."""
    columns = [as_column(column) for column in columns]
    formatters = [_xlsx_formatter(column) for column in columns]
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=safe_text(column.title))
        cell.data_type = "s"
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append(
            [format_cell(sheet, value) for format_cell, value in zip(formatters, row, strict=True)]
        )
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()
