"""Reading customers' CSV and XLSX files safely, before django-import-export sees them.

Limits are checked before parsing: file size, number of rows, and for XLSX (a ZIP archive) the
unpacked size and compression ratio, so a small hostile file cannot unpack to gigabytes. XML is
parsed with defusedxml (openpyxl uses it when installed), and formulas are read as their text,
never evaluated.
"""

import csv
import io
import zipfile
from pathlib import PurePosixPath

import openpyxl
import tablib
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
MAX_ARCHIVE_MEMBERS = 500

if not openpyxl.DEFUSEDXML:  # pragma: no cover - a packaging mistake, caught at import
    raise ImportError("defusedxml must be installed so that openpyxl parses XLSX files safely.")


def load_table(upload) -> tablib.Dataset:
    """A dataset with lower-case headers from an uploaded CSV or XLSX file."""
    name = PurePosixPath(upload.name or "").name
    extension = PurePosixPath(name).suffix.lower()
    if extension not in (".csv", ".xlsx"):
        raise ValidationError(f"{name}: upload a .csv or .xlsx file.")
    if upload.size > MAX_FILE_BYTES:
        raise ValidationError(
            f"{name} is {filesizeformat(upload.size)}; imports may be at most "
            f"{filesizeformat(MAX_FILE_BYTES)}. Split the file."
        )
    upload.seek(0)
    data = upload.read()
    rows = _read_csv(data) if extension == ".csv" else _read_xlsx(data, name)
    rows = [row for row in rows if any(str(cell).strip() for cell in row if cell is not None)]
    if not rows:
        raise ValidationError(f"{name} is empty: the first row must name the columns.")
    if len(rows) - 1 > MAX_ROWS:
        raise ValidationError(
            f"{name} has {len(rows) - 1} rows; at most {MAX_ROWS} can be "
            "imported at once. Split the file."
        )
    headers = [str(h or "").strip().lower().replace(" ", "_") for h in rows[0]]
    width = len(headers)
    dataset = tablib.Dataset(headers=headers)
    for row in rows[1:]:
        cells = ["" if cell is None else cell for cell in list(row)[:width]]
        dataset.append(cells + [""] * (width - len(cells)))
    return dataset


def _read_csv(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("The CSV file is not UTF-8 text: save it as “CSV UTF-8”.") from None
    if text.count("\n") > MAX_ROWS + 1:
        raise ValidationError(f"The file has more than {MAX_ROWS} rows; split it.")
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def _read_xlsx(data: bytes, name: str) -> list[list]:
    buffer = io.BytesIO(data)
    if not zipfile.is_zipfile(buffer):
        raise ValidationError(f"{name} is not a valid XLSX workbook.")
    with zipfile.ZipFile(buffer) as archive:
        members = archive.infolist()
        if len(members) > MAX_ARCHIVE_MEMBERS:
            raise ValidationError(f"{name} holds too many parts to be a plain spreadsheet.")
        unpacked = sum(member.file_size for member in members)
        packed = max(1, sum(member.compress_size for member in members))
        if unpacked > MAX_UNPACKED_BYTES or unpacked / packed > MAX_COMPRESSION_RATIO:
            raise ValidationError(
                f"{name} unpacks to {filesizeformat(unpacked)}, more than a "
                "price or registration list needs; it was refused unread."
            )
    buffer.seek(0)
    try:
        workbook = openpyxl.load_workbook(buffer, read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises many types for a broken file
        raise ValidationError(f"{name} could not be read as a workbook ({error}).") from None
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for row in sheet.iter_rows(values_only=True):
            rows.append([_cell_text(cell) for cell in row])
            if len(rows) > MAX_ROWS + 1:
                raise ValidationError(f"{name} has more than {MAX_ROWS} rows; split it.")
        return rows
    finally:
        workbook.close()


def _cell_text(cell):
    # A formula arrives as its text ("=SUM(A1:A3)"): it is data to validate, never evaluated.
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip() if isinstance(cell, str) else str(cell)


FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Text that a spreadsheet would run as a formula is prefixed with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


class ImportReport:
    """What an import did or would do: per-line errors, or counts when every row is valid."""

    def __init__(self, result, *, first_line: int = 2):
        self.errors: list[tuple[int, str]] = []
        for number, row_errors in result.row_errors():
            for error in row_errors:
                self.errors.append((number + first_line - 1, _error_text(error.error)))
        for invalid in result.invalid_rows:
            messages = []
            for field_name, field_errors in invalid.error_dict.items():
                for message in field_errors:
                    messages.append(
                        message if field_name == "__all__" else _strip_column_prefix(message)
                    )
            self.errors.append((invalid.number + first_line - 1, " ".join(messages)))
        self.errors.sort()
        self.warnings: list[tuple[int, str]] = []
        self.new = result.totals.get("new", 0)
        self.updated = result.totals.get("update", 0)

    @property
    def ok(self) -> bool:
        return not self.errors


def _error_text(error) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


def _strip_column_prefix(message: str) -> str:
    return message.split(": ", 1)[1] if message.startswith("Column '") else message
