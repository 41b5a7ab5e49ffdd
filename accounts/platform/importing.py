"""Reading customers' CSV and XLSX files safely, before django-import-export sees them.

Limits are checked before parsing: file size, and for XLSX (a ZIP archive) the unpacked size and
compression ratio, so a small hostile file cannot unpack to gigabytes. The work is bounded too,
not only the bytes: a file is read as a stream, row by row, and reading stops as soon as it has
more rows than MAX_ROWS (blank rows count), whatever size the workbook declares (its
`<dimension>` is neither trusted nor searched for); an XLSX's table of shared texts is read up
to MAX_SHARED_STRINGS. XML is parsed with defusedxml (openpyxl uses it when installed), and
formulas are read as their text, never evaluated.
"""

import csv
import io
import itertools
import logging
import re
import zipfile
from pathlib import PurePosixPath

import openpyxl
import tablib
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from openpyxl.cell.text import Text
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.worksheet._reader import WorkSheetParser  # what read-only worksheets parse with
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

from accounts.platform.errors import log_unexpected

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
MAX_ARCHIVE_MEMBERS = 500
# Distinct texts of a workbook: 20 text columns of MAX_ROWS different values each. Parsing a
# million of them takes 7 s of CPU, and a 2.6 MB file can hold that many.
MAX_SHARED_STRINGS = 20 * (MAX_ROWS + 1)

if not openpyxl.DEFUSEDXML:  # pragma: no cover - a packaging mistake, caught at import
    raise ImportError("defusedxml must be installed so that openpyxl parses XLSX files safely.")


def check_file(upload, *, name: str | None = None) -> str:
    """Refuse a file by its name and size alone, before anything reads it; its name back.

    `name` is the customer's own file name when `upload` is a stored copy of it.
    """
    name = PurePosixPath(name or upload.name or "").name
    if PurePosixPath(name).suffix.lower() not in (".csv", ".xlsx"):
        raise ValidationError(f"{name}: upload a .csv or .xlsx file.")
    if upload.size > MAX_FILE_BYTES:
        raise ValidationError(
            f"{name} is {filesizeformat(upload.size)}; imports may be at most "
            f"{filesizeformat(MAX_FILE_BYTES)}. Split the file."
        )
    return name


def load_table(upload, *, name: str | None = None) -> tablib.Dataset:
    """A dataset with lower-case headers from an uploaded (or stored) CSV or XLSX file.

    Rows are read one at a time and reading stops at the first row past the limit: at most
    MAX_ROWS + 2 rows (the header, MAX_ROWS rows and the one too many) are ever read.
    """
    name = check_file(upload, name=name)
    upload.seek(0)
    if PurePosixPath(name).suffix.lower() == ".csv":
        rows = _csv_rows(upload, name)
    else:
        rows = _xlsx_rows(upload, name)
    try:
        return _bounded_dataset(rows, name)
    finally:
        rows.close()


def _bounded_dataset(rows, name: str) -> tablib.Dataset:
    dataset = None
    width = 0
    for count, row in enumerate(rows, start=1):
        if count > MAX_ROWS + 1:  # the header and MAX_ROWS rows; blank rows count
            raise ValidationError(
                f"{name} has more than {MAX_ROWS} rows; at most {MAX_ROWS} can be imported at "
                "once. Split the file."
            )
        if not any(str(cell).strip() for cell in row if cell is not None):
            continue
        if dataset is None:
            headers = [str(h or "").strip().lower().replace(" ", "_") for h in row]
            dataset = tablib.Dataset(headers=headers)
            width = len(headers)
            continue
        cells = [_clean_cell(cell) for cell in list(row)[:width]]
        dataset.append(cells + [""] * (width - len(cells)))
    if dataset is None:
        raise ValidationError(f"{name} is empty: the first row must name the columns.")
    return dataset


def _csv_rows(upload, name: str):
    """The rows of a UTF-8 CSV file, decoded and split as they are read."""
    text = io.TextIOWrapper(upload, encoding="utf-8-sig", newline="")
    try:
        first_line = text.readline()
        delimiter = max(",;\t", key=first_line.count)
        yield from csv.reader(itertools.chain([first_line], text), delimiter=delimiter)
    except UnicodeDecodeError:
        raise ValidationError(f"{name} is not UTF-8 text: save it as “CSV UTF-8”.") from None
    except csv.Error:
        logger.info("%s could not be read as CSV", name, exc_info=True)
        raise ValidationError(
            f"{name} could not be read as CSV: save it as “CSV UTF-8”, with one row per line "
            f"and no cell longer than {csv.field_size_limit():,} characters."
        ) from None
    finally:
        text.detach()  # the upload stays open: its owner closes it


def _xlsx_rows(upload, name: str):
    """The first worksheet's rows as lists of cell texts, parsed as they are read.

    This is openpyxl's read-only mode without its worksheet object: opening a read-only worksheet
    that declares no <dimension> scans the whole sheet for one (6.5 s of CPU for a 2.4 MB file of
    a million rows) before it returns a row, and one that declares too small a dimension hides
    the rows past it. The sheet's parser is used directly, so rows are read as they are needed.
    """
    buffer = io.BytesIO(upload.read())  # at most MAX_FILE_BYTES: a ZIP archive needs seeking
    _check_archive(buffer, name)
    reader = None
    try:
        reader = ExcelReader(buffer, read_only=True, data_only=False)
        reader.read_manifest()
        reader.shared_strings = _shared_strings(reader, name)
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)  # which number formats are dates
        sheet_path = next(
            (
                relation.target
                for _sheet, relation in reader.parser.find_sheets()
                if relation.target in reader.valid_files and "chartsheet" not in relation.Type
            ),
            None,
        )
        if sheet_path is None:
            raise ValidationError(f"{name} has no worksheet to import.")
        with reader.archive.open(sheet_path) as source:
            parser = WorkSheetParser(
                source,
                reader.shared_strings,
                data_only=False,
                epoch=reader.wb.epoch,
                date_formats=reader.wb._date_formats,
                timedelta_formats=reader.wb._timedelta_formats,
            )
            expected = 1
            for number, cells in parser.parse():
                while expected < number:  # rows the file leaves out are blank rows
                    expected += 1
                    yield []
                expected = max(expected, number) + 1
                row = [""] * max((cell["column"] for cell in cells), default=0)
                for cell in cells:
                    row[cell["column"] - 1] = _cell_text(cell["value"])
                yield row
    except ValidationError:
        raise
    except Exception:  # openpyxl raises many types for a broken file: its text goes to the log
        logger.info("%s could not be read as a workbook", name, exc_info=True)
        raise ValidationError(
            f"{name} could not be read as a workbook: open it in Excel or LibreOffice, save it "
            "again as .xlsx (or as CSV UTF-8) and upload that."
        ) from None
    finally:
        if reader is not None:
            reader.archive.close()


def _check_archive(buffer, name: str) -> None:
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


_SHARED_STRING_TAG = f"{{{SHEET_MAIN_NS}}}si"


def _shared_strings(reader, name: str) -> list[str]:
    """The workbook's table of shared texts (openpyxl's `read_string_table`), with a limit."""
    part = reader.package.find(SHARED_STRINGS)
    if part is None:
        return []
    strings = []
    with reader.archive.open(part.PartName[1:]) as source:
        for _event, node in iterparse(source):
            if node.tag == _SHARED_STRING_TAG:
                if len(strings) == MAX_SHARED_STRINGS:
                    raise ValidationError(
                        f"{name} holds more than {MAX_SHARED_STRINGS} different texts, more than "
                        "a price or registration list needs: save the sheet to import on its "
                        "own (or as CSV) and upload that."
                    )
                strings.append(Text.from_tree(node).content.replace("x005F_", ""))
                node.clear()
    return strings


def _cell_text(cell):
    # A formula arrives as its text ("=SUM(A1:A3)"): it is data to validate, never evaluated.
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip() if isinstance(cell, str) else str(cell)


# Control characters (NUL and the rest of C0 but tab, line feed and carriage return, and DEL)
# have no place in a name, code, price or note, and PostgreSQL cannot store a NUL at all.
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean_cell(cell):
    """A cell as the import sees it: None as "", and text without control characters."""
    if cell is None:
        return ""
    if isinstance(cell, str):
        return _CONTROL_CHARACTERS.sub("", cell)
    return cell


FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Text that a spreadsheet would run as a formula is prefixed with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def shown(text: str, limit: int = 60) -> str:
    """A cell's text as a message quotes it: at most `limit` characters."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


class CellError(ValueError):
    """A cell refused with a message written for the user ("unknown product code “X”."). Widgets
    raise it (a ValueError, as django-import-export expects); any other exception of a row is
    logged and the row shows a generic message with the log's reference instead of its text."""


class RequiredColumnsMixin:
    """For a django-import-export resource: a file that does not name `required_columns` is
    refused as a whole, with one message naming what is missing, before any row is read (each
    row would otherwise fail on its own with a KeyError)."""

    required_columns: tuple[str, ...] = ()
    optional_columns: tuple[str, ...] = ()

    def import_data(self, dataset, *args, **kwargs):
        missing = [name for name in self.required_columns if name not in (dataset.headers or [])]
        if not missing:
            return super().import_data(dataset, *args, **kwargs)
        optional = (
            f" ({', '.join(self.optional_columns)} optional)" if self.optional_columns else ""
        )
        result = self.get_result_class()()
        result.total_rows = len(dataset)
        result.append_base_error(
            self.get_error_result_class()(
                ValidationError(
                    f"The file has no {' and no '.join(missing)} column: its first row must "
                    f"name the columns {', '.join(self.required_columns)}{optional}."
                )
            )
        )
        return result


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
        for error in getattr(result, "base_errors", []):  # the file as a whole, e.g. a column
            self.errors.append((1, _error_text(error.error)))
        self.errors.sort()
        self.warnings: list[tuple[int, str]] = []
        # What the import changes in rows that exist, as (row, what, was, becomes) texts: the
        # preview shows them (issue 17); a resource that tracks them sets this.
        self.changes: list[tuple[str, str, str, str]] = []
        self.new = result.totals.get("new", 0)
        self.updated = result.totals.get("update", 0)

    @property
    def ok(self) -> bool:
        return not self.errors


def _error_text(error) -> str:
    """A row's error as the user sees it: a ValidationError's own messages (written for them);
    anything else is logged, and the row says what to check, with the log's reference."""
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    if isinstance(error, CellError):
        return str(error)
    reference = log_unexpected("An import row failed", error=error)
    return (
        "this row could not be saved: check that its numbers are not too large and have no "
        "more decimals than the column takes, and that its texts are not too long "
        f"(reference {reference})."
    )


def _strip_column_prefix(message: str) -> str:
    return message.split(": ", 1)[1] if message.startswith("Column '") else message
