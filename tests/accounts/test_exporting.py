"""The platform's exporter base (accounts.platform.exporting): declared columns, one writer for
CSV and XLSX. What a spreadsheet user would notice: formula text never runs, numbers stay numbers
(a credit is -540.00, never the text "'-540"), dates are dates, right-to-left tricks are defused."""

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest

from accounts.platform.exporting import (
    BIDI_CONTROLS,
    COPY,
    REPLACEMENT,
    Column,
    CsvDialect,
    Exporter,
    Kind,
    QuerysetExporter,
    boolean,
    date,
    iter_csv,
    money,
    number,
    text,
    write_csv,
    write_xlsx,
)
from tests.factories import AccountFactory

COLUMNS = [
    text("name"),
    number("places"),
    money("net", decimals=2),
    number("rate"),
    date("day"),
    boolean("active"),
]
ROW = ["=SUM(A1)", 4, Decimal("-540"), Decimal("1.08250000"), datetime.date(2026, 3, 2), True]


def sheet_of(content: bytes):
    return openpyxl.load_workbook(io.BytesIO(content)).active


def table(text_csv: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text_csv)))


# --- Columns --------------------------------------------------------------------------------


def test_a_column_declares_its_header_kind_decimals_and_source():
    net = money("net", "Net amount", decimals=2, source="invoice__net_total")
    assert (net.title, net.kind, net.decimals, net.lookups) == (
        "Net amount",
        Kind.MONEY,
        2,
        ("invoice__net_total",),
    )
    assert text("city").title == "city" and text("city").lookups == ("city",)


def test_only_numbers_have_decimals_and_several_lookups_need_a_conversion():
    with pytest.raises(ValueError, match="only number and money columns have decimals"):
        Column("name", Kind.TEXT, decimals=2)
    with pytest.raises(ValueError, match="needs `convert`"):
        text("learner", source=("first_name", "last_name"))


def test_the_header_row_comes_from_the_declared_columns():
    first = write_csv([text("number", "Invoice"), money("net")], []).splitlines()[0]
    assert first == "Invoice,net"


# --- CSV ------------------------------------------------------------------------------------


@pytest.mark.parametrize("trigger", ["=", "+", "-", "@", "\t", "\r"])
def test_text_that_a_spreadsheet_would_run_starts_with_an_apostrophe(trigger):
    (_, row) = table(write_csv(["name"], [[trigger + "cmd|' /C calc'!A0"]]))
    assert row == ["'" + trigger + "cmd|' /C calc'!A0"]


def test_other_text_is_left_as_it_is():
    (_, row) = table(write_csv(["name", "note"], [["Smith-Jones", "a = b, 'quoted' \"x\""]]))
    assert row == ["Smith-Jones", "a = b, 'quoted' \"x\""]


def test_numbers_are_plain_digits_never_text_even_in_a_text_column():
    content = write_csv(
        [money("net"), number("places"), text("loose")],
        [
            [Decimal("-540.000"), 4, Decimal("-540")],
            [Decimal("1250000.5"), 0, -3],
            [Decimal("0E-8"), None, None],
            [Decimal("1E+3"), 12, Decimal("12.345")],
        ],
    )
    assert content == (
        "net,places,loose\r\n"
        "-540.00,4,-540.00\r\n"
        "1250000.50,0,-3\r\n"
        "0.00,,\r\n"
        "1000.00,12,12.345\r\n"
    )


def test_declared_decimals_round_half_up_and_never_write_minus_zero():
    content = write_csv(
        [money("net", decimals=2), number("quantity", decimals=0)],
        [[Decimal("2.345"), Decimal("2.5")], [Decimal("-2.345"), 7], [Decimal("-0.001"), 0]],
    )
    assert table(content)[1:] == [["2.35", "3"], ["-2.35", "7"], ["0.00", "0"]]


def test_money_is_a_decimal_never_a_float_or_text():
    with pytest.raises(TypeError, match="never a float"):
        write_csv([money("net")], [[0.1]])
    with pytest.raises(TypeError, match="was given the text"):
        write_csv([money("net")], [["1,250.00"]])


def test_dates_are_iso_and_booleans_one_or_zero():
    content = write_csv(
        [date("day"), boolean("active")],
        [[datetime.date(2026, 3, 2), True], [None, False], [None, None]],
    )
    assert table(content)[1:] == [["2026-03-02", "1"], ["", "0"], ["", ""]]


def test_every_bidi_control_is_defused_in_text_and_headers():
    content = write_csv(
        ["name " + BIDI_CONTROLS[0]],
        [["Invoice " + BIDI_CONTROLS + "gpj.exe"], [BIDI_CONTROLS[-1] + "=1+1"]],
    )
    assert not set(BIDI_CONTROLS) & set(content)
    assert table(content) == [
        ["name " + REPLACEMENT],
        ["Invoice " + REPLACEMENT * len(BIDI_CONTROLS) + "gpj.exe"],
        [REPLACEMENT + "=1+1"],  # the control is gone, so the text no longer starts with "="
    ]


def test_a_row_must_have_a_value_for_each_column():
    with pytest.raises(ValueError):
        write_csv(["a", "b"], [["only one"]])


def test_the_copy_dialect_writes_what_postgresql_copy_writes():
    """Empty text quoted, a missing value empty, \\n line ends, a carriage return quoted."""
    content = write_csv(
        [text("a"), text("b"), text("c"), money("net", decimals=3)],
        [["", None, "line\rbreak", Decimal("-190")]],
        COPY,
    )
    assert content == 'a,b,c,net\n"",,"line\rbreak",-190.000\n'


def test_a_dialect_of_its_own_for_an_accounting_system():
    dialect = CsvDialect(delimiter=";", decimal_point=",", date_format="%d.%m.%Y")
    content = write_csv(
        [text("text"), money("amount", decimals=2), date("day")],
        [["a;b", Decimal("-1234.5"), datetime.date(2026, 3, 2)]],
        dialect,
    )
    assert content == 'text;amount;day\r\n"a;b";-1234,50;02.03.2026\r\n'


def test_the_streaming_writer_yields_chunks_of_rows():
    rows = [[f"row {n}"] for n in range(5)]
    chunks = list(iter_csv(["name"], rows, chunk_rows=2))
    assert [chunk.count(b"\r\n") for chunk in chunks] == [3, 2, 1]  # the header rides first
    assert b"".join(chunks).decode() == write_csv(["name"], rows)


# --- XLSX -----------------------------------------------------------------------------------


def test_xlsx_cells_are_typed():
    sheet = sheet_of(write_xlsx(COLUMNS, [ROW]))
    header = [cell.value for cell in sheet[1]]
    assert header == ["name", "places", "net", "rate", "day", "active"]
    assert all(cell.font.b for cell in sheet[1]) and sheet.freeze_panes == "A2"
    name, places, net, rate, day, active = sheet[2]
    assert (name.data_type, name.value) == ("s", "'=SUM(A1)")
    assert (places.data_type, places.value) == ("n", 4)
    assert (net.data_type, net.value, net.number_format) == ("n", -540, "0.00")
    assert (rate.data_type, rate.number_format) == ("n", "0.0000")  # as many decimals as it has
    assert rate.value == pytest.approx(1.0825)
    assert day.is_date and day.value.date() == datetime.date(2026, 3, 2)
    assert (active.data_type, active.value) == ("b", True)


def test_xlsx_text_is_neutralised_defused_and_stripped_of_control_characters():
    sheet = sheet_of(write_xlsx(["name"], [["=cmd" + "\x07"], [BIDI_CONTROLS + "x"], [-540]]))
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [cell.value for cell in cells] == ["'=cmd", REPLACEMENT * len(BIDI_CONTROLS) + "x", -540]
    assert [cell.data_type for cell in cells] == ["s", "s", "n"]


# --- Exporters ------------------------------------------------------------------------------


class Numbers(Exporter):
    file_name = "numbers"
    columns = [number("n"), text("label")]

    def rows(self):
        for n in range(3):
            yield [n, f"-{n}"]


def test_an_exporter_declares_columns_and_yields_rows():
    exporter = Numbers()
    assert exporter.header() == ["n", "label"]
    assert exporter.csv() == b"n,label\r\n0,'-0\r\n1,'-1\r\n2,'-2\r\n"
    assert [cell.value for cell in sheet_of(exporter.xlsx())["A"]] == ["n", 0, 1, 2]


class AccountNames(QuerysetExporter):
    columns = [
        number("number"),
        text("name"),
        text("shout", source="name", convert=lambda name: name.upper()),
        text("place", source=("city", "country"), convert="{}/{}".format),
    ]
    max_rows = 2


def test_a_queryset_exporter_reads_its_columns_sources_in_one_query(
    world_a, in_tenant, django_assert_num_queries
):
    for n, name in enumerate(["Alpha", "Bravo", "Charlie"]):
        AccountFactory(tenant=world_a.tenant, number=100 + n, name=name, city="Leeds")
    from accounts.models import Account

    with in_tenant(world_a.tenant), django_assert_num_queries(1):
        content = AccountNames(Account.objects.order_by("number")).csv().decode()
    assert table(content) == [
        ["number", "name", "shout", "place"],
        ["100", "Alpha", "ALPHA", "Leeds/GB"],
        ["101", "Bravo", "BRAVO", "Leeds/GB"],  # max_rows: 2
    ]


def test_the_writer_puts_a_preamble_before_the_header_and_quotes_text_where_asked():
    """DATEV's files: a format line before the column header row, text quoted, numbers bare
    with a decimal comma, a legacy encoding that replaces what it cannot hold."""
    from accounts.platform.exporting import CsvDialect, date, iter_csv, money, text, write_csv

    datev = CsvDialect(
        delimiter=";",
        decimal_point=",",
        date_format="%d%m",
        encoding="cp1252",
        encoding_errors="replace",
        quote_text=True,
    )
    columns = [money("amount", "Umsatz", decimals=2), text("side", "S/H"), date("day", "Datum")]
    rows = [[Decimal("-1080"), "S", datetime.date(2026, 3, 2)], [Decimal("5.5"), "=1+1", None]]
    written = write_csv(columns, rows, datev, preamble=[["EXTF", 700, None, ""]])
    assert written.split("\r\n") == [
        '"EXTF";700;;""',
        "Umsatz;S/H;Datum",
        '-1080,00;"S";0203',
        '5,50;"\'=1+1";',
        "",
    ]
    encoded = b"".join(iter_csv(columns, [[Decimal(1), "Müller ✓", None]], datev))
    assert encoded.endswith('1,00;"Müller ?";\r\n'.encode("cp1252"))
    # Without a preamble and quote_text, nothing changes for other files.
    assert write_csv([text("a")], [["x"]]) == "a\r\nx\r\n"
