"""The reconciliation file: one CSV row per invoice line, fast enough for a million lines.

A plain SQL select with its own tenant filter (a streamed response outlives the middleware's
tenant scope), sent through PostgreSQL's COPY when available (a blocking cursor with csv.writer on
SQLite) in blocks of about 64 KB. Text cells that a spreadsheet would run as a formula are
neutralised in the SQL itself, and bidirectional-text controls (U+202A to U+202E, U+2066 to
U+2069) in them are replaced with U+FFFD there too, as in every other export; numbers stay
numbers. Names, numbers and codes come from each invoice's snapshot frozen at issue (never the
live account or project), so a file exported again later says the same. Every amount is the
stored, rounded figure, and each line's tax is its frozen share of its rate's tax, so the lines
of an invoice add up to the invoice's totals.
"""

import csv
import io
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection

BLOCK_BYTES = 64 * 1024

# (header, SQL expression, is text)
COLUMNS = [
    ("invoice_number", "i.number", True),
    ("kind", "i.kind", True),
    ("issue_date", "i.issue_date", False),
    ("due_date", "i.due_date", False),
    ("status", "i.status", True),
    ("account_number", "i.customer_number", False),
    ("account_name", "i.customer_name", True),
    ("billing_account", "i.billing_name", True),
    ("project_code", "i.project_code", True),
    ("purchase_order", "i.po_reference", True),
    ("line_kind", "l.kind", True),  # registration, item, handling_fee, deposit, deduction, …
    ("product_code", "l.product_code", True),
    ("description", "l.description", True),
    ("quantity", "l.quantity", False),
    ("unit_price", "l.unit_price", False),
    ("discount_percent", "l.discount_percent", False),
    ("net", "l.net", False),
    ("tax_code", "l.tax_code", True),
    ("tax_category", "l.tax_category", True),
    ("tax_rate", "l.tax_percent", False),
    ("tax", "COALESCE(l.tax_amount, 0)", False),
    ("gross", "l.net + COALESCE(l.tax_amount, 0)", False),
    ("currency", "i.currency", True),
    ("tags", "i.tags", True),
]
HEADER = [name for name, _, _ in COLUMNS]


# Bidirectional embeddings, overrides and isolates, as code points (see exporting.BIDI_CONTROLS).
BIDI_CODE_POINTS = [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
REPLACEMENT_CODE_POINT = 0xFFFD


def _bidi_defused(expression: str) -> str:
    """Replace every bidi control in the text with U+FFFD: one translate() on PostgreSQL,
    nested replace() calls on SQLite (which has no translate)."""
    if connection.vendor == "postgresql":
        controls = " || ".join(f"chr({point})" for point in BIDI_CODE_POINTS)
        return (
            f"translate({expression}, {controls}, "
            f"repeat(chr({REPLACEMENT_CODE_POINT}), {len(BIDI_CODE_POINTS)}))"
        )
    for point in BIDI_CODE_POINTS:
        expression = f"replace({expression}, char({point}), char({REPLACEMENT_CODE_POINT}))"
    return expression


def _neutralised(expression: str) -> str:
    """Defuse bidi controls, then prefix text that starts with = + - @ tab or carriage return
    with an apostrophe."""
    expression = _bidi_defused(expression)
    first = (
        f"SUBSTRING({expression} FROM 1 FOR 1)"
        if connection.vendor == "postgresql"
        else f"substr({expression}, 1, 1)"
    )
    tab, cr = (
        ("chr(9)", "chr(13)") if connection.vendor == "postgresql" else ("char(9)", "char(13)")
    )
    return (
        f"CASE WHEN {first} IN ('=', '+', '-', '@', {tab}, {cr}) "
        f"THEN '''' || {expression} ELSE {expression} END"
    )


def reconciliation_sql(
    *, tenant_id: int, invoice_ids_sql: str = "", invoice_ids_params=()
) -> tuple[str, list]:
    select = ", ".join(
        f"{_neutralised(expression) if text else expression} AS {name}"
        for name, expression, text in COLUMNS
    )
    sql = (
        f"SELECT {select} FROM invoicing_invoiceline l "
        "JOIN invoicing_invoice i ON i.id = l.invoice_id "
        "WHERE l.tenant_id = %s AND i.tenant_id = %s AND i.status <> 'draft'"
    )
    params = [tenant_id, tenant_id]
    if invoice_ids_sql:
        sql += f" AND i.id IN ({invoice_ids_sql})"
        params += list(invoice_ids_params)
    sql += " ORDER BY i.issue_date, i.kind, i.sequence_number, l.position, l.id"
    return sql, params


def stream_csv(sql: str, params) -> "iter[bytes]":
    """Yield the CSV in blocks of about BLOCK_BYTES: header first, then the rows."""
    if connection.vendor == "postgresql":
        yield from _stream_copy(sql, params)
    else:
        yield from _stream_cursor(sql, params)


def _stream_copy(sql, params):
    with connection.cursor() as wrapper:
        raw = wrapper.cursor
        bound = raw.mogrify(sql, params)
        buffer = bytearray()
        with raw.copy(f"COPY ({bound}) TO STDOUT WITH (FORMAT csv, HEADER true)") as copy:
            for block in copy:
                buffer += block
                if len(buffer) >= BLOCK_BYTES:
                    yield bytes(buffer)
                    buffer.clear()
        if buffer:
            yield bytes(buffer)


NUMERIC = [
    i
    for i, (name, _, text) in enumerate(COLUMNS)
    if not text and not name.endswith("_date") and name != "account_number"
]
THOUSANDTH = Decimal("0.001")


def _exact(row):
    """SQLite hands decimals back as floats: give them the exact text COPY gives on PostgreSQL."""
    row = list(row)
    for i in NUMERIC:
        if row[i] is not None:
            row[i] = format(Decimal(repr(row[i])).quantize(THOUSANDTH, ROUND_HALF_UP), "f")
    return row


def _stream_cursor(sql, params):
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(HEADER)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(2000):
            writer.writerows(_exact(row) for row in rows)
            if text.tell() >= BLOCK_BYTES:
                yield text.getvalue().encode()
                text.seek(0)
                text.truncate()
    if text.tell():
        yield text.getvalue().encode()
