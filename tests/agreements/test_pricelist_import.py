import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.platform.importing import MAX_ROWS, load_table
from accounts.platform.tenancy import activate
from agreements.models import PriceListEntry
from tests.factories import PriceListEntryFactory, PriceListFactory, ProductFactory


@pytest.fixture
def price_list(world_a, tenant_b):
    ProductFactory(tenant=world_a.tenant, code="PY-101")
    ProductFactory(tenant=world_a.tenant, code="SQL-200")
    ProductFactory(tenant=world_a.tenant, code="JS-300")
    ProductFactory(tenant=tenant_b, code="BRAVO-ONLY")
    return PriceListFactory(tenant=world_a.tenant, currency="EUR")


def csv_upload(text, name="prices.csv"):
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def xlsx_upload(rows, name="prices.xlsx"):
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def post(client, price_list, upload):
    return client.post(f"/alpha/price-lists/{price_list.pk}/import/", {"file": upload})


def entries(world):
    with activate(world.tenant):
        return sorted(PriceListEntry.objects.values_list("product__code", "unit_price"))


def test_the_preview_lists_every_bad_row_with_its_line_and_saves_nothing(
    world_a, price_list, client_for
):
    upload = csv_upload(
        "product_code,unit_price\n"
        "PY-101,100.00\n"  # line 2: fine
        "NOPE-1,50\n"  # line 3: unknown product
        "SQL-200,-5\n"  # line 4: negative
        "PY-101,120\n"  # line 5: duplicate
        "JS-300,abc\n"  # line 6: not a number
        "BRAVO-ONLY,10\n"  # line 7: another tenant's product
    )
    response = post(client_for(world_a.staff), price_list, upload)
    assert response.status_code == 422
    errors = dict(response.context["report"].errors)
    assert errors[3] == "unknown product code “NOPE-1”."
    assert "negative" in errors[4]
    assert "appears twice" in errors[5] and "line 2" in errors[5]
    assert "not a price" in errors[6]
    assert errors[7] == "unknown product code “BRAVO-ONLY”."
    assert 2 not in errors
    assert entries(world_a) == []


def test_a_valid_file_is_previewed_then_imported_and_rounded(world_a, price_list, client_for):
    client = client_for(world_a.staff)
    PriceListEntryFactory(
        price_list=price_list, product=ProductFactory(tenant=world_a.tenant, code="OLD")
    )
    response = post(
        client,
        price_list,
        xlsx_upload([["Product code", "Unit price"], ["py-101", 99.995], ["OLD", "10"]]),
    )
    assert response.status_code == 200
    report = response.context["report"]
    assert (report.new, report.updated) == (1, 1)
    assert entries(world_a) == [("OLD", Decimal("900.000"))], "a preview saves nothing"
    confirm = client.post(
        f"/alpha/price-lists/{price_list.pk}/import/", {"token": response.context["token"]}
    )
    assert confirm.status_code == 302
    assert entries(world_a) == [("OLD", Decimal("10.000")), ("PY-101", Decimal("100.000"))]


def test_id_and_tenant_columns_cannot_reach_another_tenants_rows(
    world_a, tenant_b, price_list, client_for
):
    foreign_list = PriceListFactory(tenant=tenant_b)
    foreign = PriceListEntryFactory(price_list=foreign_list, unit_price=Decimal("1"))
    upload = csv_upload(
        f"id,tenant,price_list,product_code,unit_price\n"
        f"{foreign.pk},{tenant_b.pk},{foreign_list.pk},PY-101,55\n"
    )
    client = client_for(world_a.staff)
    token = post(client, price_list, upload).context["token"]
    client.post(f"/alpha/price-lists/{price_list.pk}/import/", {"token": token})
    foreign.refresh_from_db()
    assert foreign.unit_price == Decimal("1")
    assert entries(world_a) == [("PY-101", Decimal("55.000"))]


def test_a_formula_is_read_as_text_and_refused_as_a_price(world_a, price_list, client_for):
    response = post(
        client_for(world_a.staff),
        price_list,
        xlsx_upload([["product_code", "unit_price"], ["PY-101", "=1+1"]]),
    )
    errors = dict(response.context["report"].errors)
    assert "“=1+1” is not a price" in errors[2]


def test_an_oversized_file_is_refused_before_parsing(world_a, price_list, client_for):
    upload = csv_upload("product_code,unit_price\n" + "PY-101,1\n" * 800_000)
    response = post(client_for(world_a.staff), price_list, upload)
    assert response.status_code == 422
    assert "imports may be at most" in response.content.decode()


def test_too_many_rows_are_refused(world_a, price_list, client_for):
    upload = csv_upload("product_code,unit_price\n" + "A,1\n" * (MAX_ROWS + 1))
    response = post(client_for(world_a.staff), price_list, upload)
    assert "more than" in response.content.decode() and response.status_code == 422


def test_an_xlsx_that_unpacks_to_far_more_than_it_weighs_is_refused_unread():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<x/>")
        archive.writestr("xl/worksheets/sheet1.xml", "<a>" + "0" * 60_000_000 + "</a>")
    upload = SimpleUploadedFile("bomb.xlsx", buffer.getvalue())
    assert upload.size < 200_000
    with pytest.raises(Exception, match="refused unread"):
        load_table(upload)


def test_xml_entities_in_an_xlsx_are_not_expanded():
    """A 'billion laughs' workbook: defusedxml refuses it instead of expanding it."""
    source = xlsx_upload([["product_code", "unit_price"], ["PY-101", "1"]])
    original = zipfile.ZipFile(io.BytesIO(source.read()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for item in original.infolist():
            data = original.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(
                    b"<worksheet",
                    b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
                    b"<worksheet",
                    1,
                )
            archive.writestr(item, data)
    with pytest.raises(Exception, match="could not be read"):
        load_table(SimpleUploadedFile("entities.xlsx", buffer.getvalue()))


def test_other_file_types_are_refused(world_a, price_list, client_for):
    response = post(
        client_for(world_a.staff), price_list, SimpleUploadedFile("prices.exe", b"MZ\x90\x00")
    )
    assert "upload a .csv or .xlsx file" in response.content.decode()


def test_semicolon_separated_csv_with_a_bom_is_read(world_a, price_list):
    dataset = load_table(csv_upload("\ufeffproduct_code;unit_price\nPY-101;12.50\n"))
    assert dataset.headers == ["product_code", "unit_price"]
    assert list(dataset[0]) == ["PY-101", "12.50"]


def test_export_round_trips_and_neutralises_formula_text(world_a, price_list, client_for):
    PriceListEntryFactory(
        price_list=price_list,
        unit_price=Decimal("12.5"),
        product=ProductFactory(tenant=world_a.tenant, code="Z-1", name='=HYPERLINK("http://evil")'),
    )
    response = client_for(world_a.viewer).get(f"/alpha/price-lists/{price_list.pk}/export.csv")
    body = response.content.decode()
    assert response["Content-Disposition"].startswith("attachment;")
    assert "Z-1" in body and "'=HYPERLINK" in body
    xlsx = client_for(world_a.viewer).get(f"/alpha/price-lists/{price_list.pk}/export.xlsx")
    dataset = load_table(SimpleUploadedFile("back.xlsx", xlsx.content))
    assert dataset.headers[:3] == ["product_code", "product_name", "unit_price"]
    import io

    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    price = next(row[2] for row in sheet.iter_rows(min_row=2) if row[0].value == "Z-1")
    assert price.data_type == "n" and price.value == 12.5  # a number, not the text "12.500"


def test_a_viewer_cannot_import(world_a, price_list, client_for):
    response = post(client_for(world_a.viewer), price_list, csv_upload("product_code,unit_price\n"))
    assert response.status_code == 403


def _text(response) -> str:
    import re

    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_the_preview_shows_old_and_new_prices_of_changed_rows(world_a, price_list, client_for):
    """Issue 17: it said "changes 2" without the prices."""
    with activate(world_a.tenant):
        PriceListEntryFactory(
            price_list=price_list,
            product=ProductFactory._meta.model.objects.get(code="PY-101"),
            unit_price=Decimal("900"),
        )
        PriceListEntryFactory(
            price_list=price_list,
            product=ProductFactory._meta.model.objects.get(code="SQL-200"),
            unit_price=Decimal("400"),
            training_units_price=Decimal("2"),
        )
    upload = csv_upload(
        "product_code,unit_price,training_units_price\nPY-101,950,\nSQL-200,400,3\nJS-300,120,\n"
    )
    preview = post(client_for(world_a.staff), price_list, upload)
    text = _text(preview)
    assert "Importing adds 1 new row and changes 2 rows." in text
    assert "PY-101 unit price €900.00 €950.00" in text
    assert "SQL-200 training units price 2.00 units 3.00 units" in text
    assert "SQL-200 unit price" not in text, "an unchanged price is not listed"
    assert entries(world_a) == [("PY-101", Decimal("900.000")), ("SQL-200", Decimal("400.000"))]


def test_a_one_row_file_reads_in_the_singular(world_a, price_list, client_for):
    preview = post(
        client_for(world_a.staff), price_list, csv_upload("product_code,unit_price\nPY-101,10\n")
    )
    text = _text(preview)
    assert "The row is valid." in text and "All 1 rows" not in text
    assert "Import 1 row" in text and "Import 1 rows" not in text


def test_a_name_that_says_its_currency_is_not_followed_by_it_again(world_a):
    """Issue 17: "European customers 2026 (EUR) (EUR)"."""
    named = PriceListFactory(tenant=world_a.tenant, name="European customers 2026 (EUR)")
    plain = PriceListFactory(tenant=world_a.tenant, name="Standard 2026", currency="GBP")
    assert str(named) == "European customers 2026 (EUR)"
    assert str(plain) == "Standard 2026 (GBP)"
    assert str(PriceListFactory(tenant=world_a.tenant, name="Eurostar", currency="EUR")) == (
        "Eurostar (EUR)"
    )
