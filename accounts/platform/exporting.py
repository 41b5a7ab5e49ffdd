"""Small exports of list pages and reports: one writer for CSV and XLSX (big ones:
reporting.exports).

`write_csv` and `write_xlsx` take headers and rows of Python values. Text that a spreadsheet
would run as a formula is neutralised (import-export's own escaping only strips a leading "=");
numbers stay numbers: plain decimals in CSV (`-540.00`: no thousands separator, no exponent, no
apostrophe), numeric cells with a number format in XLSX, so a column of amounts credit notes
included can be summed.

Bidirectional-text controls (U+202A to U+202E, U+2066 to U+2069) in a text cell are replaced with
U+FFFD: a name holding a right-to-left override would otherwise show reversed in a spreadsheet
("gpj.exe" as "exe.jpg"), or make a cell read as something it is not.

`SafeResource` is the base of every django-import-export resource that exports: its numeric
fields render as numbers (`coerce_to_string=False`), never as formatted text. `ListExportMixin`
adds ?export=csv|xlsx to a FilterView list: the file holds exactly the filtered rows.
"""

import csv
import io
from decimal import Decimal

import openpyxl
from django.http import HttpResponse, HttpResponseBadRequest
from import_export import resources, widgets
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from accounts.platform import permissions
from accounts.platform.access import require
from accounts.platform.importing import neutralise

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
MAX_ROWS = 50_000

# Bidirectional embeddings, overrides and isolates: U+202A–U+202E and U+2066–U+2069.
BIDI_CONTROLS = "".join(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))
REPLACEMENT = "\ufffd"
_BIDI_TABLE = str.maketrans(dict.fromkeys(BIDI_CONTROLS, REPLACEMENT))


def defuse_bidi(text: str) -> str:
    """`text` with every bidirectional control replaced with U+FFFD (visible, inert)."""
    return text.translate(_BIDI_TABLE)


def safe_text(value):
    """A text cell as exports write it: bidi controls defused, formula text neutralised. Other
    values (numbers, dates, None) are returned unchanged."""
    if isinstance(value, str):
        return neutralise(defuse_bidi(value))
    return value


def plain_number(value: Decimal) -> str:
    """A Decimal as plain digits, at least two decimals and no needless trailing zeros:
    -540.000 → "-540.00", 12.345 → "12.345", 0E-8 → "0.00" (never "0E-8" or "1,250")."""
    if value == 0:
        value = abs(value)
    text = format(value, "f")
    whole, _, decimals = text.partition(".")
    return f"{whole}.{decimals.rstrip('0').ljust(2, '0')}"


def _decimals(value: Decimal) -> int:
    return max(2, len(plain_number(value).partition(".")[2]))


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, Decimal):
        return plain_number(value) if value.is_finite() else ""
    if isinstance(value, int | float):
        return value
    return safe_text(value if isinstance(value, str) else str(value))


def write_csv(headers, rows) -> str:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow([safe_text(str(header)) for header in headers])
    writer.writerows([_csv_cell(value) for value in row] for row in rows)
    return text.getvalue()


def _xlsx_cell(sheet, value):
    if isinstance(value, Decimal) and not value.is_finite():
        value = None
    elif value is not None and not isinstance(value, int | float | Decimal):
        # Control characters cannot be stored in a workbook: they are dropped.
        value = safe_text(ILLEGAL_CHARACTERS_RE.sub("", str(value)))
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # text is text, even "=…" (neutralised above anyway)
    elif isinstance(value, Decimal):
        cell.number_format = "0." + "0" * _decimals(value)
    elif isinstance(value, float):
        cell.number_format = "0.00"
    return cell


def write_xlsx(headers, rows) -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Export")
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=safe_text(str(header)))
        cell.data_type = "s"
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def file_response(headers, rows, file_format: str, name: str) -> HttpResponse:
    """A CSV or XLSX download of `rows` under `headers`, named `name.<format>`."""
    content = write_csv(headers, rows) if file_format == "csv" else write_xlsx(headers, rows)
    response = HttpResponse(content, content_type=CONTENT_TYPES[file_format])
    response["Content-Disposition"] = f'attachment; filename="{name}.{file_format}"'
    return response


class SafeResource(resources.ModelResource):
    """Numeric model fields render as numbers (import-export would format them as text, with
    the locale's separators, which the formula guard then took for formulas when negative);
    text is neutralised."""

    @classmethod
    def field_from_django_field(cls, field_name, django_field, readonly):
        field = super().field_from_django_field(field_name, django_field, readonly)
        if isinstance(field.widget, widgets.NumberWidget):
            field.widget.coerce_to_string = False
        return field

    def export_field(self, field, instance, **kwargs):
        return safe_text(super().export_field(field, instance, **kwargs))


def export_response(resource, queryset, file_format: str, name: str) -> HttpResponse:
    dataset = resource.export(queryset=queryset[:MAX_ROWS])
    return file_response(dataset.headers, dataset, file_format, name)


def filter_refusal(filterset, params, *, allowed=()) -> str:
    """Why an export cannot apply its filter ("" when it can): a parameter the filter does not
    know (a misspelt name would otherwise be ignored), or a value it refuses (a malformed date,
    another company's project). An export never falls back to every row of the company."""
    known = set(filterset.form.fields)
    unknown = sorted(name[:40] for name in set(params) - known - set(allowed))
    if unknown:
        return f"Unknown filter {', '.join(unknown)}: filter by {', '.join(filterset.form.fields)}."
    if filterset.is_bound and not filterset.is_valid():
        problems = "; ".join(
            f"{filterset.form.fields[name].label or name if name in known else name}: "
            + " ".join(errors)
            for name, errors in filterset.form.errors.items()
        )
        return f"The filter cannot be applied ({problems}). Correct it and try again."
    return ""


def refuse_filter(message: str) -> HttpResponseBadRequest:
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


class ListExportMixin:
    export_resource_class = None
    export_name = "export"
    # Parameters of the list page itself, not of its filter.
    page_parameters = ("export", "sort", "page", "per_page")

    def get(self, request, *args, **kwargs):
        file_format = request.GET.get("export")
        if file_format in CONTENT_TYPES and self.export_resource_class is not None:
            require(request, permissions.SEE_MONEY)
            filterset = self.get_filterset(self.get_filterset_class())
            refused = filter_refusal(filterset, request.GET, allowed=self.page_parameters)
            if refused:
                return refuse_filter(refused)
            return export_response(
                self.export_resource_class(), filterset.qs, file_format, self.export_name
            )
        return super().get(request, *args, **kwargs)
