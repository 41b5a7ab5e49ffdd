"""The exporter: declared columns and a row generator, written by the one writer.

    class PriceListExporter(QuerysetExporter):
        columns = [
            text("product_code", source="product__code"),
            text("product_name", source="product__name"),
            money("unit_price"),
        ]

    PriceListExporter(price_list.entries.all(), file_name="prices").csv()

An `Exporter` yields rows itself (`rows()`: sequences of Python values in column order); a
`QuerysetExporter` reads them from a queryset, one `values_list()` of every column's `source`,
fetched CHUNK_ROWS at a time; a `CopyExporter` (copy.py) has PostgreSQL write the same columns.
"""

from collections.abc import Iterable, Iterator, Sequence

from accounts.platform.exporting import writer
from accounts.platform.exporting.columns import EXCEL, Column, CsvDialect
from accounts.platform.exporting.writer import CHUNK_ROWS

__all__ = ["MAX_ROWS", "Exporter", "QuerysetExporter"]

# The most rows a file built in memory (a list's CSV or XLSX) holds.
MAX_ROWS = 50_000


class Exporter:
    columns: Sequence[Column] = ()
    file_name: str = "export"  # the download's name, without its extension
    dialect: CsvDialect = EXCEL
    sheet_title: str = "Export"

    def rows(self) -> Iterable[Sequence]:
        raise NotImplementedError(f"{type(self).__name__} must yield its rows.")

    def header(self) -> list[str]:
        return [column.title for column in self.columns]

    def preamble(self) -> Iterable[Sequence]:
        """Lines a format writes before its column header row (DATEV's "EXTF" line): sequences
        of values, text quoted where the dialect quotes text. None by default; CSV only."""
        return ()

    def stream_csv(self) -> Iterator[bytes]:
        """The CSV in chunks of about CHUNK_ROWS rows, preamble and header first."""
        return writer.iter_csv(self.columns, self.rows(), self.dialect, preamble=self.preamble())

    def csv(self) -> bytes:
        return b"".join(self.stream_csv())

    def xlsx(self) -> bytes:
        return writer.write_xlsx(self.columns, self.rows(), title=self.sheet_title)


class QuerysetExporter(Exporter):
    """Rows of `queryset`: each column's source (a lookup, an expression, or several lookups with
    `convert`) in one query, at most `max_rows` rows (None: every row, for streamed files)."""

    max_rows: int | None = MAX_ROWS

    def __init__(self, queryset, *, file_name: str = ""):
        self.queryset = queryset
        if file_name:
            self.file_name = file_name

    def lookups(self) -> list:
        return [lookup for column in self.columns for lookup in column.lookups]

    def values(self):
        """The queryset of the rows' raw values, one tuple per row."""
        values = self.queryset.values_list(*self.lookups())
        return values[: self.max_rows] if self.max_rows is not None else values

    def rows(self) -> Iterator[Sequence]:
        rows = self.values().iterator(chunk_size=CHUNK_ROWS)
        if not any(column.convert for column in self.columns):
            return rows
        return map(self._converter(), rows)

    def _converter(self):
        """A function from a row of raw values to the row of cells (`convert` applied)."""
        parts, start = [], 0
        for column in self.columns:
            width = len(column.lookups)
            parts.append((start, start + width, column.convert))
            start += width

        def convert(row):
            return [
                function(*row[begin:end]) if function else row[begin]
                for begin, end, function in parts
            ]

        return convert
