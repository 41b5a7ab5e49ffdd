"""Small exports of list pages and reports: one writer for CSV and XLSX (big ones:
reporting.exports).

`write_csv` and `write_xlsx` take headers and rows of Python values. Text that a spreadsheet
would run as a formula is neutralised (import-export's own escaping only strips a leading "=");
numbers stay numbers: plain decimals in CSV (`-540.00`: no thousands separator, no exponent, no
apostrophe), numeric cells with a number format in XLSX, so a column of amounts credit notes
included can be summed.

`SafeResource` is the base of every django-import-export resource that exports: its numeric
fields render as numbers (`coerce_to_string=False`), never as formatted text. `ListExportMixin`
adds ?export=csv|xlsx to a FilterView list: the file holds exactly the filtered rows.
"""

import csv
import io
from decimal import Decimal

import openpyxl
from django.http import HttpResponse
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
    if isinstance(value, str):
        return neutralise(value)
    return neutralise(str(value))


def write_csv(headers, rows) -> str:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow([neutralise(str(header)) for header in headers])
    writer.writerows([_csv_cell(value) for value in row] for row in rows)
    return text.getvalue()


def _xlsx_cell(sheet, value):
    if isinstance(value, Decimal) and not value.is_finite():
        value = None
    elif value is not None and not isinstance(value, int | float | Decimal):
        # Control characters cannot be stored in a workbook: they are dropped.
        value = neutralise(ILLEGAL_CHARACTERS_RE.sub("", str(value)))
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
        cell = WriteOnlyCell(sheet, value=neutralise(str(header)))
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
        return neutralise(super().export_field(field, instance, **kwargs))


def export_response(resource, queryset, file_format: str, name: str) -> HttpResponse:
    dataset = resource.export(queryset=queryset[:MAX_ROWS])
    return file_response(dataset.headers, dataset, file_format, name)


class ListExportMixin:
    export_resource_class = None
    export_name = "export"

    def get(self, request, *args, **kwargs):
        file_format = request.GET.get("export")
        if file_format in CONTENT_TYPES and self.export_resource_class is not None:
            require(request, permissions.SEE_MONEY)
            filterset = self.get_filterset(self.get_filterset_class())
            rows = (
                filterset.qs
                if (not filterset.is_bound or filterset.is_valid())
                else (self.get_queryset().none())
            )
            return export_response(
                self.export_resource_class(), rows, file_format, self.export_name
            )
        return super().get(request, *args, **kwargs)
