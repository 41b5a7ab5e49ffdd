"""PostgreSQL's COPY as an exporter's writer, for files of a million rows.

`COPY (query) TO STDOUT` writes about 900,000 rows/s where the same rows through Python's
writer go at about 200,000 (PITFALLS.md). A `CopyExporter` is a `QuerysetExporter` whose CSV
PostgreSQL writes on PostgreSQL, and the one writer elsewhere (SQLite): the same declared
columns, the same queryset and the same header row (written by the writer in both cases), so the
two paths cannot drift. Its cells follow the writer's rules in SQL, built from the same
constants (cells.py): text has bidi controls replaced with U+FFFD and formula text prefixed with
an apostrophe; numbers are cast to the column's decimals where the database column has others;
dates are PostgreSQL's ISO dates; its dialect is the CSV COPY writes (columns.COPY: "\\n" line ends,
an empty text as ""). `tests/reporting/test_exporters_on_postgres.py` checks that both paths give
the same bytes.

The query is compiled from the queryset (no table names here) and carries the tenant filter of
the scope it was built in; on PostgreSQL row-level security is the second wall, so a COPY that
forgot its tenant would see nothing.
"""

from collections.abc import Iterator

from django.core.exceptions import EmptyResultSet, ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, NotSupportedError, connections
from django.db.models import (
    DateField,
    DateTimeField,
    DecimalField,
    F,
    Func,
    IntegerField,
    TextField,
)

from accounts.platform.exporting import writer
from accounts.platform.exporting.cells import BIDI_CODE_POINTS, FORMULA_TRIGGERS, REPLACEMENT
from accounts.platform.exporting.columns import COPY, Column, Kind
from accounts.platform.exporting.exporters import QuerysetExporter

__all__ = ["BLOCK_BYTES", "CopyExporter", "copy_csv", "copy_rows", "copy_sql"]

BLOCK_BYTES = 64 * 1024

_BIDI_CONTROLS = " || ".join(f"chr({point})" for point in BIDI_CODE_POINTS)
_REPLACEMENTS = f"repeat(chr({ord(REPLACEMENT)}), {len(BIDI_CODE_POINTS)})"
_TRIGGERS = ", ".join(f"chr({ord(trigger)})" for trigger in FORMULA_TRIGGERS)


class _CopyCell(Func):
    """A column's cell as COPY writes it: PostgreSQL only (elsewhere the writer writes it)."""

    output_field = TextField()

    def __init__(self, expression, column: Column):
        super().__init__(expression)
        self.column = column

    def as_sql(self, compiler, connection, **extra):
        raise NotSupportedError("COPY cells are PostgreSQL's: elsewhere the writer writes them.")

    def as_postgresql(self, compiler, connection, **extra):
        source = self.get_source_expressions()[0]
        sql, params = compiler.compile(source)
        return self.cell(sql, list(params), source.output_field)

    def cell(self, sql, params, field):
        column = self.column
        if column.kind is Kind.TEXT:
            defused = f"translate({sql}, {_BIDI_CONTROLS}, {_REPLACEMENTS})"
            return (
                f"CASE WHEN SUBSTRING({defused} FROM 1 FOR 1) IN ({_TRIGGERS}) "
                f"THEN '''' || {defused} ELSE {defused} END",
                params * 3,
            )
        if column.kind is Kind.BOOLEAN:
            return f"CASE WHEN {sql} THEN '1' WHEN NOT {sql} THEN '0' END", params * 2
        if column.kind is Kind.DATE:
            if isinstance(field, DateTimeField) or not isinstance(field, DateField):
                raise ImproperlyConfigured(f"{column.name}: COPY writes date columns of dates.")
            return sql, params
        # A number: as the database column holds it when its decimals are the column's.
        decimals = column.decimals
        if isinstance(field, IntegerField) and decimals in (None, 0):
            return sql, params
        if isinstance(field, DecimalField) and field.decimal_places == decimals:
            return sql, params
        if decimals is None:
            raise ImproperlyConfigured(
                f"{column.name}: declare its decimals (COPY writes a number with its scale)."
            )
        return f"CAST({sql} AS numeric(38, {decimals}))", params


def _copy_cell(column: Column):
    if column.convert is not None or len(column.lookups) != 1:
        raise ImproperlyConfigured(f"{column.name}: COPY cannot run Python (`convert`).")
    (source,) = column.lookups
    return _CopyCell(F(source) if isinstance(source, str) else source, column)


def copy_sql(exporter: "CopyExporter") -> tuple[str, list]:
    """The exporter's query with every column as COPY writes it (EmptyResultSet when the
    queryset can have no row)."""
    values = exporter.queryset.values_list(*map(_copy_cell, exporter.columns))
    return values.query.get_compiler(using=values.db).as_sql()


def copy_rows(
    sql: str, params=(), *, using=DEFAULT_DB_ALIAS, prefix: bytes = b"", block_bytes=BLOCK_BYTES
) -> Iterator[bytes]:
    """`COPY (sql) TO STDOUT` as CSV, without a header, after `prefix`, in blocks of about
    `block_bytes`."""
    import psycopg  # PostgreSQL only

    with connections[using].cursor() as wrapper:
        raw = wrapper.cursor
        # COPY takes no parameters: they are bound here, by the client, whether or not the
        # connection binds on the server (DATABASE_PREPARED_STATEMENTS).
        bound = psycopg.ClientCursor(raw.connection).mogrify(sql, params)
        buffer = bytearray(prefix)
        with raw.copy(f"COPY ({bound}) TO STDOUT WITH (FORMAT csv)") as copy:
            for block in copy:
                buffer += block
                if len(buffer) >= block_bytes:
                    yield bytes(buffer)
                    buffer.clear()
        if buffer:
            yield bytes(buffer)


def copy_csv(exporter: "CopyExporter") -> Iterator[bytes]:
    """The exporter's CSV written by PostgreSQL: the writer's header row, then COPY's rows."""
    header = writer.write_csv(exporter.columns, (), exporter.dialect)
    header = header.encode(exporter.dialect.encoding)
    try:
        sql, params = copy_sql(exporter)
    except EmptyResultSet:
        yield header
        return
    yield from copy_rows(sql, params, using=exporter.queryset.db, prefix=header)


class CopyExporter(QuerysetExporter):
    """A QuerysetExporter that PostgreSQL writes (see the module's docstring). Its columns read
    one lookup or expression each (no `convert`); number columns that are not whole numbers
    declare their decimals."""

    dialect = COPY
    max_rows = None  # streamed: every row

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.dialect != COPY:
            raise ImproperlyConfigured(f"{cls.__name__}: COPY writes the COPY dialect only.")

    def stream_csv(self) -> Iterator[bytes]:
        if connections[self.queryset.db].vendor == "postgresql":
            return copy_csv(self)
        return super().stream_csv()
