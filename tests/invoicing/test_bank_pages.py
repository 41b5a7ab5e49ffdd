"""The bank statement pages (issue 16, part 4): import with its preview (a CSV's mapping asked
once per bank account), the review page with each line's proposal at a constant query count,
and a line's page: confirm, correct through the search box, split, ignore. Finance and admins
only."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from invoicing import payment_selectors
from invoicing.models import (
    BankCsvMapping,
    BankStatementLine,
    Direction,
    Grouping,
    InvoiceState,
    LineStatus,
    Payment,
)
from tests.factories import BankAccountFactory
from tests.invoicing.test_bank_statements import DATA, GERMAN_CSV, MAPPING
from tests.invoicing.test_payments import LONG_AGO, invoice_of_another_account, issue

D = Decimal
IMPORT = "/alpha/bank/import/"
REVIEW = "/alpha/bank/"
LINES = "/alpha/bank/lines/"


@pytest.fixture
def bank(billing):
    return BankAccountFactory(tenant=billing["tenant"], label="Commerzbank EUR")


@pytest.fixture
def finance(billing, client_for):
    return client_for(billing["world"].finance)


def send(client, bank, name, content=None, **more):
    data = content if content is not None else (DATA / name).read_bytes()
    if isinstance(data, str):
        data = data.encode()
    return client.post(
        IMPORT, {"bank_account": bank.pk, "file": SimpleUploadedFile(name, data), **more}
    )


def import_statement(client, bank, name="camt053_v02.xml", content=None):
    """Upload, preview, confirm: the page after the import."""
    response = send(client, bank, name, content)
    assert response.status_code == 302, response.content.decode()[:2000]
    preview = client.get(response["Location"])
    body = preview.content.decode()
    token = body.split('name="confirm_token" value="')[1].split('"')[0]
    return client.post(IMPORT, {"confirm_token": token}, follow=True)


def text(body: str) -> str:
    """The page with its whitespace as a reader sees it."""
    return " ".join(body.split())


def line_url(line):
    return f"/alpha/bank/lines/{line.pk}/"


def test_a_camt_statement_is_previewed_imported_and_a_second_time_creates_nothing(
    finance, bank, billing
):
    response = send(finance, bank, "camt053_v02.xml")
    preview = finance.get(response["Location"]).content.decode()
    assert "STMT-2026-03-31-001" in preview
    assert "Payment of invoice INV-00001, thank you" in preview
    assert "Import 6 lines" in preview
    assert not BankStatementLine.objects.exists()  # nothing saved by the preview

    token = preview.split('name="confirm_token" value="')[1].split('"')[0]
    page = finance.post(IMPORT, {"confirm_token": token}, follow=True).content.decode()
    assert "Imported 6 statement lines" in page
    assert BankStatementLine.objects.count() == 6
    # The same token again (a double click): nothing twice.
    finance.post(IMPORT, {"confirm_token": token})
    assert BankStatementLine.objects.count() == 6

    again = send(finance, bank, "camt053_v02.xml")
    body = text(finance.get(again["Location"]).content.decode())
    assert "6 lines imported already" in body
    assert "This statement was imported already" in body
    assert "confirm_token" not in body
    assert BankStatementLine.objects.count() == 6


def test_hostile_or_foreign_statements_are_refused_with_a_message_and_nothing_saved(
    finance, bank, billing
):
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&b;</Document>'
    )
    response = send(finance, bank, "evil.xml", laughs)
    assert response.status_code == 422
    assert "refused unread" in response.content.decode()
    other = BankAccountFactory(tenant=billing["tenant"], iban="GB29NWBK60161331926819")
    response = send(finance, other, "camt053_v02.xml")
    assert response.status_code == 422
    assert "This statement is of account DE89370400440532013000" in response.content.decode()
    response = send(finance, bank, "notes.txt", "hello")
    assert response.status_code == 422
    assert not BankStatementLine.objects.exists()


def test_a_csv_asks_for_its_mapping_once_then_reuses_it(finance, bank, billing):
    response = send(finance, bank, "bank.csv", GERMAN_CSV)
    body = response.content.decode()
    assert "Which column holds what?" in body
    assert '<option value="verwendungszweck">' in body
    token = body.split('name="mapping_token" value="')[1].split('"')[0]
    mapping = dict(MAPPING.items())
    response = finance.post(IMPORT, {"mapping_token": token, **mapping})
    assert response.status_code == 302
    assert BankCsvMapping.objects.get(bank_account=bank).reference_column == "verwendungszweck"
    preview = finance.get(response["Location"]).content.decode()
    assert "Import 4 lines" in preview

    # The next file of that bank: straight to its preview.
    response = send(finance, bank, "next.csv", GERMAN_CSV.replace("1.080,00", "99,00"))
    assert response.status_code == 302
    assert "Import 4 lines" in finance.get(response["Location"]).content.decode()
    # A bad row: an error naming it, nothing saved.
    response = send(finance, bank, "bad.csv", GERMAN_CSV + "31.13.2026;x;y;;;1,00\n")
    assert response.status_code == 422
    assert "Row 6: The date “31.13.2026” is not in the format 31.03.2026." in (
        response.content.decode()
    )
    assert not BankStatementLine.objects.exists()


def test_the_review_page_shows_proposals_at_a_constant_query_count(finance, bank, act, billing):
    issue(act, billing, 2, grouping=Grouping.REGISTRATION, on_date=LONG_AGO)
    import_statement(finance, bank)

    def fetch(url):
        with CaptureQueriesContext(connection) as captured:
            response = finance.get(url)
        assert response.status_code == 200
        return len(captured), response.content.decode()

    few, body = fetch(REVIEW)
    assert "Invoice number INV-00001 in the reference" in body
    assert "INV-00001: €1,080.00" in body
    assert "Confirm…" in body
    assert "Office Landlord" not in body  # money out is not reviewed
    few_lines, lines_body = fetch(LINES)
    assert "Office Landlord" in lines_body and "Money out: only money in is matched." in lines_body

    import_statement(finance, bank, "camt053_v08.xml")
    many, body = fetch(REVIEW)
    assert "Invoice numbers INV-00001, INV-00002 in the reference" in body
    assert many == few
    assert fetch(LINES)[0] == few_lines
    _count, filtered = fetch(LINES + "?status=ignored")
    assert "Office Landlord" in filtered and "Meridian" not in filtered


def test_confirming_on_the_line_page_pays_the_invoice(finance, bank, act, billing):
    first, _second = issue(act, billing, 2, grouping=Grouping.REGISTRATION, on_date=LONG_AGO)
    import_statement(finance, bank)
    line = BankStatementLine.objects.get(key="ref:2026032000001")
    page = text(finance.get(line_url(line)).content.decode())
    assert "Record a payment of <strong>€1,080.00</strong> from <strong>Meridian Health" in page
    response = finance.post(
        line_url(line), {"action": "confirm", "pick": [first.pk], f"amount_{first.pk}": "1080.00"}
    )
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.status == LineStatus.CONFIRMED
    assert payment_selectors.state_of(first)["state"] == InvoiceState.PAID
    again = finance.post(
        line_url(line), {"action": "confirm", "pick": [first.pk], f"amount_{first.pk}": "1080"}
    )
    assert again.status_code == 422
    assert Payment.objects.count() == 1


def test_a_correction_is_searched_and_split_over_two_invoices(finance, bank, act, billing):
    first = issue(act, billing, on_date=LONG_AGO)
    harbour = invoice_of_another_account(act, billing, net="500")
    import_statement(finance, bank, "camt053_v08.xml")  # 2,160 naming INV-00001 and INV-00002
    line = BankStatementLine.objects.get(direction=Direction.CREDIT)
    results = finance.get(line_url(line), {"q": "harbour"}).content.decode()
    assert harbour.number in results and "Harbour Clinics" in results
    assert "<select" not in results.split("data-search-results")[1]  # searched, not listed
    # Split: INV-00001 (proposed) and more of the payment to… Meridian's only invoice; the
    # search for Meridian's invoices lists the open one.
    page = text(finance.get(line_url(line), {"pick": [first.pk]}).content.decode())
    assert 'data-chosen="INV-00001"' in page
    assert "€1,080.00</strong> stays on the account" in page
    response = finance.post(
        line_url(line),
        {"action": "confirm", "pick": [first.pk], f"amount_{first.pk}": "600"},
    )
    assert response.status_code == 302
    assert payment_selectors.state_of(first)["outstanding"] == 480
    (balance,) = payment_selectors.account_balance(billing["account"])
    assert balance.unallocated_payments == D("1560")


def test_split_over_two_invoices_of_the_account(finance, bank, act, billing):
    first, second = issue(act, billing, 2, grouping=Grouping.REGISTRATION, on_date=LONG_AGO)
    import_statement(finance, bank)
    line = BankStatementLine.objects.get(key="ref:2026033000004")  # no reference: ambiguous
    assert line.status == LineStatus.NEW
    page = finance.get(line_url(line), {"q": "INV-0000"}).content.decode()
    assert first.number in page and second.number in page
    response = finance.post(
        line_url(line),
        {
            "action": "confirm",
            "pick": [first.pk, second.pk],
            f"amount_{first.pk}": "540",
            f"amount_{second.pk}": "540",
        },
    )
    assert response.status_code == 302
    assert payment_selectors.state_of(first)["outstanding"] == 540
    assert payment_selectors.state_of(second)["outstanding"] == 540


def test_ignoring_a_line_and_the_pages_are_finance_s(finance, bank, act, billing, client_for):
    import_statement(finance, bank)
    line = BankStatementLine.objects.get(key="ref:2026032700011")
    response = finance.post(line_url(line), {"action": "ignore", "reason": "Venue refund"})
    assert response.status_code == 302
    line.refresh_from_db()
    assert (line.status, line.ignore_reason) == (LineStatus.IGNORED, "Venue refund")
    for role in ("staff", "viewer"):
        client = client_for(billing["world"].user(role))
        for url in (REVIEW, LINES, IMPORT, line_url(line)):
            assert client.get(url).status_code == 403
