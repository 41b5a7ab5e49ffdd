"""Imports are bounded by work, not only by bytes: reading stops at the row limit, whatever the
file declares, and large imports run as background tasks with the same preview."""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl.worksheet._reader import WorkSheetParser

from accounts.platform import importing
from accounts.platform.importing import MAX_ROWS, load_table

SHEET = "xl/worksheets/sheet1.xml"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "{shared}</Types>"
)
SHARED_TYPE = (
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)
PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="xl/workbook.xml" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/officeDocument"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Prices" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="http://schemas.openxmlformats'
    '.org/officeDocument/2006/relationships/worksheet"/></Relationships>'
)


def workbook(rows_xml: str, *, dimension: str = "", shared: list[str] | None = None) -> bytes:
    """An XLSX written by hand, so that its <dimension> is whatever the test says (or absent)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml", CONTENT_TYPES.format(shared=SHARED_TYPE if shared else "")
        )
        archive.writestr("_rels/.rels", PACKAGE_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        if shared:
            archive.writestr(
                "xl/sharedStrings.xml",
                '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                + "".join(f"<si><t>{text}</t></si>" for text in shared)
                + "</sst>",
            )
        archive.writestr(
            SHEET,
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            + (f'<dimension ref="{dimension}"/>' if dimension else "")
            + f"<sheetData>{rows_xml}</sheetData></worksheet>",
        )
    return buffer.getvalue()


def text_row(number: int, *values: str) -> str:
    cells = "".join(
        f'<c r="{chr(65 + i)}{number}" t="inlineStr"><is><t>{v}</t></is></c>'
        for i, v in enumerate(values)
    )
    return f'<row r="{number}">{cells}</row>'


@pytest.fixture
def sheet_reads(monkeypatch):
    """How much of the worksheet's XML is read, and how many of its rows are parsed."""
    counts = {"bytes": 0, "rows": 0}
    original_open = zipfile.ZipFile.open

    class Counted:
        def __init__(self, stream):
            self.stream = stream

        def read(self, size=-1):
            data = self.stream.read(size)
            counts["bytes"] += len(data)
            return data

        def __getattr__(self, name):
            return getattr(self.stream, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.stream.close()

    def counting_open(archive, name, mode="r", *args, **kwargs):
        stream = original_open(archive, name, mode, *args, **kwargs)
        member = name.filename if isinstance(name, zipfile.ZipInfo) else name
        return Counted(stream) if mode == "r" and member == SHEET else stream

    original_parse_row = WorkSheetParser.parse_row

    def counting_parse_row(parser, row):
        counts["rows"] += 1
        return original_parse_row(parser, row)

    monkeypatch.setattr(zipfile.ZipFile, "open", counting_open)
    monkeypatch.setattr(WorkSheetParser, "parse_row", counting_parse_row)
    return counts


def test_an_xlsx_with_far_more_rows_than_the_limit_and_no_dimension_stops_at_the_limit(
    sheet_reads,
):
    rows = 20 * MAX_ROWS
    data = workbook("".join(f'<row r="{n}"><c><v>1</v></c></row>' for n in range(1, rows + 1)))
    unpacked = zipfile.ZipFile(io.BytesIO(data)).getinfo(SHEET).file_size
    assert b"<dimension" not in zipfile.ZipFile(io.BytesIO(data)).read(SHEET)
    sheet_reads.update(bytes=0, rows=0)

    with pytest.raises(ValidationError, match=f"more than {MAX_ROWS} rows"):
        load_table(SimpleUploadedFile("million.xlsx", data))

    # the header, MAX_ROWS rows and the one too many: nothing past it is parsed ...
    assert sheet_reads["rows"] <= MAX_ROWS + 2
    # ... or even read (openpyxl's read-only worksheet reads it all, looking for a <dimension>)
    assert sheet_reads["bytes"] < unpacked / 4


def test_an_xlsx_that_declares_too_small_a_dimension_is_read_in_full():
    data = workbook(
        text_row(1, "product_code", "unit_price")
        + "".join(text_row(n, f"P-{n}", "1") for n in range(2, 7)),
        dimension="A1:B2",
    )
    dataset = load_table(SimpleUploadedFile("prices.xlsx", data))
    assert [row[0] for row in dataset] == ["P-2", "P-3", "P-4", "P-5", "P-6"]


def test_an_xlsx_with_more_shared_texts_than_a_list_needs_is_refused(monkeypatch):
    monkeypatch.setattr(importing, "MAX_SHARED_STRINGS", 50)
    data = workbook(
        '<row r="1"><c r="A1" t="s"><v>0</v></c></row>', shared=[f"t{n}" for n in range(1000)]
    )
    with pytest.raises(ValidationError, match="more than 50 different texts"):
        load_table(SimpleUploadedFile("texts.xlsx", data))


def test_shared_texts_dates_and_formulas_read_as_before():
    import datetime

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Product code", "Unit price", "Requested date", "Note"])
    sheet.append(["PY-101", 12.0, datetime.date(2026, 2, 1), "=1+1"])
    sheet.append([None, None, None, None])
    sheet.append(["SQL-200", 7.25, None, " padded "])
    buffer = io.BytesIO()
    book.save(buffer)
    dataset = load_table(SimpleUploadedFile("prices.xlsx", buffer.getvalue()))
    assert dataset.headers == ["product_code", "unit_price", "requested_date", "note"]
    assert [list(row) for row in dataset] == [
        ["PY-101", "12", "2026-02-01 00:00:00", "=1+1"],
        ["SQL-200", "7.25", "", "padded"],
    ]


class CountingBytes(io.BytesIO):
    read_bytes = 0

    def read(self, size=-1):
        data = super().read(size)
        self.read_bytes += len(data)
        return data

    def read1(self, size=-1):
        data = super().read1(size)
        self.read_bytes += len(data)
        return data

    def readinto(self, buffer):
        count = super().readinto(buffer)
        self.read_bytes += count
        return count


def test_a_csv_with_far_more_rows_than_the_limit_stops_at_the_limit(monkeypatch):
    content = b"product_code,unit_price\n" + b"PY-101,1\n" * (100 * MAX_ROWS // 2)
    assert len(content) < importing.MAX_FILE_BYTES
    upload = SimpleUploadedFile("prices.csv", content)
    upload.file = CountingBytes(content)
    parsed = []
    original_reader = importing.csv.reader

    def counting_reader(*args, **kwargs):
        for row in original_reader(*args, **kwargs):
            parsed.append(row)
            yield row

    monkeypatch.setattr(importing.csv, "reader", counting_reader)

    with pytest.raises(ValidationError, match=f"more than {MAX_ROWS} rows"):
        load_table(upload)

    assert len(parsed) <= MAX_ROWS + 2
    assert upload.file.read_bytes < len(content) / 10


def test_csv_rows_are_counted_as_rows_not_lines(monkeypatch):
    monkeypatch.setattr(importing, "MAX_ROWS", 3)
    content = 'product_code,notes\nA,"one\ntwo"\nB,"three\nfour"\nC,"five\nsix"\n'
    dataset = load_table(SimpleUploadedFile("prices.csv", content.encode()))
    assert [row[1] for row in dataset] == ["one\ntwo", "three\nfour", "five\nsix"]
    with pytest.raises(ValidationError, match="more than 3 rows"):
        load_table(SimpleUploadedFile("prices.csv", (content + "D,x\n").encode()))


def test_a_csv_that_is_not_utf8_or_not_csv_is_refused_with_a_message():
    with pytest.raises(ValidationError, match="not UTF-8"):
        load_table(SimpleUploadedFile("prices.csv", "code\nCafé\n".encode("latin-1")))
    with pytest.raises(ValidationError, match="could not be read as CSV"):
        load_table(SimpleUploadedFile("prices.csv", b'code\n"' + b"x" * 200_000 + b'"\n'))
