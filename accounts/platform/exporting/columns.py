"""What an export declares: its columns (name, header, kind, decimals, where the value comes from)
and the CSV dialect it is written in.

A column's kind says how the one writer writes its values:

    text      formula text neutralised, bidi controls defused (cells.py); a number that reaches a
              text column is still written as a number, never as "'-540"
    number    plain digits ("-540.00", never "1,250" or "'-540"); a numeric XLSX cell
    money     an amount, written like a number; a Decimal, never a float
    date      ISO 8601 in CSV ("2026-03-02", or the dialect's `date_format`); a date cell in XLSX
    boolean   "1" or "0" in CSV; TRUE or FALSE in XLSX

`decimals` fixes a number's decimals (rounded half-up: `money("net", decimals=2)` writes
"-540.00" for -540 and 12.35 for 12.345); left out, a whole number is written as it is ("4") and a
decimal with at least two decimals and as many as it needs (-540.000 → "-540.00", 12.345 →
"12.345").

`source` is what a `QuerysetExporter` reads for the column: a lookup ("invoice__number"), an ORM
expression, or a tuple of lookups whose values `convert` turns into the cell's value (it is the
column's name when left out). Exporters that build their rows themselves ignore it.
"""

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "COPY",
    "EXCEL",
    "Column",
    "CsvDialect",
    "Kind",
    "boolean",
    "date",
    "money",
    "number",
    "text",
]


class Kind(enum.StrEnum):
    TEXT = "text"
    NUMBER = "number"
    MONEY = "money"
    DATE = "date"
    BOOLEAN = "boolean"


NUMERIC_KINDS = frozenset({Kind.NUMBER, Kind.MONEY})


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind = Kind.TEXT
    header: str = ""
    decimals: int | None = None
    source: Any = None
    convert: Callable | None = None

    def __post_init__(self):
        if self.decimals is not None and (self.kind not in NUMERIC_KINDS or self.decimals < 0):
            raise ValueError(f"{self.name}: only number and money columns have decimals (>= 0).")
        if self.convert is None and isinstance(self.source, tuple):
            raise ValueError(f"{self.name}: a column reading several lookups needs `convert`.")

    @property
    def title(self) -> str:
        """What the header row says."""
        return self.header or self.name

    @property
    def lookups(self) -> tuple:
        """What a QuerysetExporter selects for this column (one or more lookups/expressions)."""
        if self.source is None:
            return (self.name,)
        return self.source if isinstance(self.source, tuple) else (self.source,)


def text(name: str, header: str = "", **options) -> Column:
    return Column(name, Kind.TEXT, header, **options)


def number(name: str, header: str = "", *, decimals: int | None = None, **options) -> Column:
    return Column(name, Kind.NUMBER, header, decimals, **options)


def money(name: str, header: str = "", *, decimals: int | None = None, **options) -> Column:
    return Column(name, Kind.MONEY, header, decimals, **options)


def date(name: str, header: str = "", **options) -> Column:
    return Column(name, Kind.DATE, header, **options)


def boolean(name: str, header: str = "", **options) -> Column:
    return Column(name, Kind.BOOLEAN, header, **options)


def as_column(column) -> Column:
    """A Column as it is; a bare name as a text column (`write_csv(["name"], rows)`)."""
    return column if isinstance(column, Column) else Column(str(column))


@dataclass(frozen=True)
class CsvDialect:
    """How a CSV file is laid out. A format with its own rules (a semicolon, a decimal comma,
    DD.MM.YYYY dates, Windows-1252) is a dialect of its own beside these two."""

    delimiter: str = ","
    line_terminator: str = "\r\n"
    # Write an empty text as "" (and a missing value as nothing), as PostgreSQL's COPY does.
    quote_empty: bool = False
    decimal_point: str = "."
    date_format: str = ""  # strftime pattern; ISO 8601 when empty
    encoding: str = "utf-8"
    # What the encoding does with a character it cannot hold ("replace": a "?"; a legacy
    # encoding such as Windows-1252 cannot hold every name).
    encoding_errors: str = "strict"
    # Quote every text cell (and a preamble's text), as DATEV's files do: "S";"EUR";…
    # Numbers and dates stay bare. The column header row follows the usual rule.
    quote_text: bool = False


# Spreadsheet CSV, as Python's csv module writes it (RFC 4180 line ends).
EXCEL = CsvDialect()
# The CSV of PostgreSQL's `COPY ... TO STDOUT WITH (FORMAT csv)`: what a CopyExporter writes
# either way, so its fast path and the Python path give the same bytes.
COPY = CsvDialect(line_terminator="\n", quote_empty=True)
