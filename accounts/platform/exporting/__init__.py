"""Exports: one shape for every file the app writes for a spreadsheet or an accounting system.

An exporter declares its columns and yields rows; one writer makes CSV and XLSX of them:

    from accounts.platform.exporting import QuerysetExporter, date, money, text

    class InvoiceExporter(QuerysetExporter):
        file_name = "invoices"
        columns = [
            text("number"),
            date("issue_date"),
            text("customer", source="billing_account__name"),
            money("net_total", header="Net"),
        ]

    download(InvoiceExporter(invoices), "xlsx")        # a response, CSV or XLSX
    InvoiceExporter(invoices).csv()                    # the bytes (a stored batch file)

    class MyListView(ListExportMixin, ...FilterView):  # ?export=csv|xlsx on a list page
        exporter_class = InvoiceExporter

The parts, one module each:

    cells       the rules of every cell: formula text neutralised, bidi controls defused,
                numbers plain (`safe_text`, `defuse_bidi`, `plain_number`)
    columns     `Column` and its kinds (`text`, `number`, `money`, `date`, `boolean`), with
                decimals and where the value comes from; `CsvDialect` (EXCEL, COPY)
    writer      the one writer: `write_csv`, `iter_csv` (chunks of 2,000 rows), `write_xlsx`
                (typed cells: numbers as numbers, dates as dates)
    exporters   `Exporter` (rows() yields them) and `QuerysetExporter` (one values_list query)
    copy        `CopyExporter`: PostgreSQL's COPY writes the same columns (files of a million
                rows); the one writer on other databases
    responses   `download`, `streaming_download`, `ListExportMixin`, `filter_refusal`

A new format (an accounting system's CSV, a statement) is a new exporter class: its columns, its
rows, and where its file differs from a spreadsheet's, a `CsvDialect` (delimiter, decimal point,
date format, encoding). Nothing else writes CSV or XLSX: `tests/test_architecture.py` refuses a
module that imports csv, openpyxl or tablib to write, and checks that every export endpoint's
file comes from here. Imports (reading customers' files) are
`accounts.platform.importing`'s.
"""

from accounts.platform.exporting.cells import (
    BIDI_CONTROLS,
    REPLACEMENT,
    defuse_bidi,
    plain_number,
    safe_text,
)
from accounts.platform.exporting.columns import (
    COPY,
    EXCEL,
    Column,
    CsvDialect,
    Kind,
    boolean,
    date,
    money,
    number,
    text,
)
from accounts.platform.exporting.copy import CopyExporter, copy_csv, copy_rows, copy_sql
from accounts.platform.exporting.exporters import MAX_ROWS, Exporter, QuerysetExporter
from accounts.platform.exporting.responses import (
    CONTENT_TYPES,
    ListExportMixin,
    download,
    filter_refusal,
    refuse_filter,
    streaming_download,
)
from accounts.platform.exporting.writer import CHUNK_ROWS, iter_csv, write_csv, write_xlsx

__all__ = [
    "BIDI_CONTROLS",
    "CHUNK_ROWS",
    "CONTENT_TYPES",
    "COPY",
    "EXCEL",
    "MAX_ROWS",
    "REPLACEMENT",
    "Column",
    "CopyExporter",
    "CsvDialect",
    "Exporter",
    "Kind",
    "ListExportMixin",
    "QuerysetExporter",
    "boolean",
    "copy_csv",
    "copy_rows",
    "copy_sql",
    "date",
    "defuse_bidi",
    "download",
    "filter_refusal",
    "iter_csv",
    "money",
    "number",
    "plain_number",
    "refuse_filter",
    "safe_text",
    "streaming_download",
    "text",
    "write_csv",
    "write_xlsx",
]
