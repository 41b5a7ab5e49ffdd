"""Accounting exports (issue 16, part 5): a batch's files for Xero, QuickBooks Online, Sage and
DATEV. Each header row is the published template's, spelled and ordered as there (README,
"Accounting exports"); a sample row of each is pinned; credit notes are typed per format;
foreign currency carries the invoice's stored rate; an incomplete mapping is refused with what to
fill in; a file downloads with the same bytes again, even after the mapping changed."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from accounts.platform.tenancy import activate
from invoicing import services
from invoicing.models import ExchangeRate, Grouping, InvoiceLine
from reporting import services as reporting_services
from reporting.accounting.mapping import codes_in_use
from reporting.accounting.models import AccountCode, AccountingSettings, BatchFile
from reporting.models import ExportBatch
from tests.factories import ProjectFactory
from tests.reporting.test_reconciliation import issue

DAY = "2026-03-20 10:30:00"


def _map(tenant, system, revenue=(), tax=()):
    for kind, pairs in (("revenue", revenue), ("tax", tax)):
        for key, code in dict(pairs).items():
            AccountCode.objects.create(tenant=tenant, system=system, kind=kind, key=key, code=code)


def _mapped(tenant):
    _map(tenant, "xero", {"LEAD-101": "200", "EXAM": "210"})
    _map(tenant, "qbo", {"LEAD-101": "Courses", "EXAM": "Exam fees"})
    _map(tenant, "sage", {"LEAD-101": "4000", "EXAM": "4010"})
    _map(tenant, "datev", {"LEAD-101": "8400", "EXAM": "8125"}, {"STD": "3"})
    AccountingSettings.objects.create(
        tenant=tenant,
        datev_consultant_number=29098,
        datev_client_number=55003,
        datev_bank_account="1200",
        sage_bank_account="1200",
    )


def fetch(client, batch, name):
    response = client.get(f"/alpha/exports/batches/{batch.pk}/accounting/{name}.csv")
    assert response.status_code == 200, response
    assert response["Content-Disposition"] == (
        f'attachment; filename="{name}-batch-{batch.number:05d}.csv"'
    )
    return b"".join(response.streaming_content)


def lines(content: bytes, encoding="utf-8"):
    return content.decode(encoding).split("\r\n")


@pytest.fixture
def batch(act, billing):
    """Invoice INV-00001 (a place at 1,000 less 10 %, 20 % VAT; two exam fees at 95, exempt), its
    credit note CN-00001 for the place, a payment of 250 and a bounced one, all on 20 March."""
    _mapped(billing["tenant"])
    billing["account"].name = "Müller & Söhne GmbH"
    billing["account"].save()
    with freeze_time(DAY):
        (invoice,) = issue(
            act, billing, billing["registrations"][:1], [billing["item"]], grouping=Grouping.ALL
        )
        act(services.invoice_credit, invoice=invoice, line_ids=[invoice.lines.first().pk])
        paid = act(
            services.payment_record,
            billing_account=invoice.billing_account,
            amount=Decimal("250.00"),
            currency="EUR",
            reference="BACS 4471",
            invoices=[invoice],
        )
        bounced = act(
            services.payment_record,
            billing_account=invoice.billing_account,
            amount=Decimal("40.00"),
            currency="EUR",
            method="cheque",
        )
        act(services.payment_reverse, payment=bounced, reason="Cheque bounced")
        batch = act(reporting_services.export_batch_create)
    billing.update(paid=paid, bounced=bounced, number=billing["account"].number)
    return batch


def test_xero_invoices_and_credit_notes_follow_the_import_templates(batch, billing, client_for):
    client = client_for(billing["world"].finance)
    account = billing["number"]
    invoices = lines(fetch(client, batch, "xero-invoices"))
    assert invoices[0] == (
        "*ContactName,EmailAddress,POAddressLine1,POAddressLine2,POAddressLine3,POAddressLine4,"
        "POCity,PORegion,POPostalCode,POCountry,*InvoiceNumber,Reference,*InvoiceDate,*DueDate,"
        "InventoryItemCode,*Description,*Quantity,*UnitAmount,Discount,*AccountCode,*TaxType,"
        "TrackingName1,TrackingOption1,TrackingName2,TrackingOption2,Currency,BrandingTheme"
    )
    project = billing["project"].code
    assert invoices[2] == (
        f"Müller & Söhne GmbH,,1 High Street,,,,London,,N1 1AA,GB,INV-00001,,20/03/2026,"
        f"19/04/2026,,Exam fee,2.00,95.00,,210,Exempt Income,Project,{project},,,EUR,"
    )
    assert ",1.00,1000.00,10.00,200,20% (VAT on Income)," in invoices[1]
    notes = lines(fetch(client, batch, "xero-credit-notes"))
    assert notes[0].startswith(
        "*ContactName,EmailAddress,POAddressLine1,POAddressLine2,POAddressLine3,POAddressLine4,"
        "POCity,PORegion,POPostalCode,POCountry,*CreditNoteNumber,Reference,*CreditNoteDate,"
        "InventoryItemCode,*Description,*Quantity,*UnitAmount,Discount,*AccountCode,*TaxType,"
    )
    # A credit note's amounts are positive in Xero's credit-note file; its reference the invoice.
    assert ",CN-00001,INV-00001,20/03/2026,," in notes[1]
    assert ",1.00,1000.00,10.00,200,20% (VAT on Income)," in notes[1]
    assert len(notes) == 3 and notes[2] == "" and str(account) not in notes[0]


def test_quickbooks_invoices_and_credit_notes(batch, billing, client_for):
    client = client_for(billing["world"].finance)
    invoices = lines(fetch(client, batch, "qbo-invoices"))
    assert invoices[0] == (
        "InvoiceNo,Customer,InvoiceDate,DueDate,Terms,Location,Memo,Item(Product/Service),"
        "ItemDescription,ItemQuantity,ItemRate,ItemAmount,ItemTaxCode,ItemTaxAmount,Currency"
    )
    assert invoices[2] == (
        "INV-00001,Müller & Söhne GmbH,20/03/2026,19/04/2026,Net 30,,,Exam fees,Exam fee,"
        "2.00,95.00,190.00,Exempt,0.00,EUR"
    )
    # No line discount in QuickBooks: the rate is what a unit was charged (1,000 less 10 %).
    assert invoices[1].endswith(",1.00,900.00,900.00,20.0% S,180.00,EUR")
    notes = lines(fetch(client, batch, "qbo-credit-notes"))
    assert notes[0] == (
        "CreditNoteNo,Customer,CreditNoteDate,Location,Memo,Item(Product/Service),"
        "ItemDescription,ItemQuantity,ItemRate,ItemAmount,ItemTaxCode,ItemTaxAmount,Currency"
    )
    assert notes[1].startswith("CN-00001,Müller & Söhne GmbH,20/03/2026,,Credit for INV-00001,")
    assert notes[1].endswith(",1.00,900.00,900.00,20.0% S,180.00,EUR")


def test_sage_audit_trail_invoices_credits_and_receipts(batch, billing, client_for):
    client = client_for(billing["world"].finance)
    account, header = (
        billing["number"],
        (
            "Type,Account Reference,Nominal A/C Ref,Department,Date,Reference,Details,Net Amount,"
            "Tax Code,Tax Amount,Exchange Rate,Extra Reference,User Name"
        ),
    )
    rows = lines(fetch(client, batch, "sage-transactions"))
    assert rows[0] == header
    assert rows[2] == (
        f"SI,{account},4010,,20/03/2026,INV-00001,Exam fee,190.00,T2,0.00,,,finance@alpha.example"
    )
    assert rows[1].startswith(f"SI,{account},4000,,20/03/2026,INV-00001,")
    assert rows[1].endswith(",900.00,T1,180.00,,,finance@alpha.example")
    # A credit note is SC with positive amounts: the type says which way.
    assert rows[3].startswith(f"SC,{account},4000,,20/03/2026,CN-00001,")
    assert rows[3].endswith(",900.00,T1,180.00,,,finance@alpha.example")
    paid, bounced = billing["paid"], billing["bounced"]
    receipts = lines(fetch(client, batch, "sage-receipts"))
    assert receipts[0] == header
    assert receipts[1:4] == [
        f"SA,{account},1200,,20/03/2026,BACS 4471,Payment #{paid.pk} (bank transfer),250.00,"
        "T9,0.00,,,finance@alpha.example",
        f"SA,{account},1200,,20/03/2026,PAY-{bounced.pk},Payment #{bounced.pk} (cheque),40.00,"
        "T9,0.00,,,finance@alpha.example",
        f"SP,{account},1200,,20/03/2026,PAY-{bounced.pk},Reversal of payment #{bounced.pk}: "
        "Cheque bounced,40.00,T9,0.00,,,finance@alpha.example",
    ]


def test_datev_buchungsstapel(batch, billing, client_for):
    client = client_for(billing["world"].finance)
    ExportBatch.objects.filter(pk=batch.pk).update(
        created_at=datetime.datetime(2026, 3, 20, 13, 4, 40, 439000, tzinfo=datetime.UTC)
    )
    batch.refresh_from_db()
    content = fetch(client, batch, "datev-documents-2026")
    assert "Müller".encode("cp1252") in content  # Windows-1252
    rows = lines(content, "cp1252")
    debtor = 10000 + billing["number"]
    # The format line: EXTF, 700, 21 Buchungsstapel, version 13, created, origin RE, exported
    # by, Beraternummer, Mandantennummer, WJ-Beginn, Sachkontenlänge, Datum von, bis,
    # Bezeichnung, Diktatkürzel, Buchungstyp 1, Rechnungslegungszweck 0, Festschreibung 0, WKZ.
    assert rows[0] == (
        '"EXTF";700;21;"Buchungsstapel";13;20260320130440439;;"RE";"finance@alpha.example";"";'
        '29098;55003;20260101;4;20260320;20260320;"Rechnungsausgang Batch 1";"";1;0;0;"EUR";'
        ';"";;;"";;;"";""'
    )
    assert rows[1] == (
        "Umsatz (ohne Soll/Haben-Kz);Soll/Haben-Kennzeichen;WKZ Umsatz;Kurs;Basis-Umsatz;"
        "WKZ Basis-Umsatz;Konto;Gegenkonto (ohne BU-Schlüssel);BU-Schlüssel;Belegdatum;"
        "Belegfeld 1;Belegfeld 2;Skonto;Buchungstext"
    )
    assert rows[3] == (
        f'190,00;"S";"EUR";;;"";{debtor};8125;"";2003;"INV-00001";"";;'
        '"Müller & Söhne GmbH Exam fee"'
    )
    assert rows[2].startswith(f'1080,00;"S";"EUR";;;"";{debtor};8400;"3";2003;"INV-00001";')
    # The credit note: the same booking the other way (H), never a negative amount.
    assert rows[4].startswith(f'1080,00;"H";"EUR";;;"";{debtor};8400;"3";2003;"CN-00001";')
    paid, bounced = billing["paid"], billing["bounced"]
    payments = lines(fetch(client, batch, "datev-payments-2026"), "cp1252")
    assert payments[0].startswith('"EXTF";700;21;"Buchungsstapel";13;')
    assert '"Zahlungseingang Batch 1"' in payments[0]
    assert payments[2:5] == [
        f'250,00;"S";"EUR";;;"";1200;{debtor};"";2003;"BACS 4471";"";;'
        f'"Payment #{paid.pk} Müller & Söhne GmbH"',
        f'40,00;"S";"EUR";;;"";1200;{debtor};"";2003;"PAY-{bounced.pk}";"";;'
        f'"Payment #{bounced.pk} Müller & Söhne GmbH"',
        f'40,00;"H";"EUR";;;"";1200;{debtor};"";2003;"PAY-{bounced.pk}";"";;'
        f'"Reversal #{bounced.pk}: Cheque bounced"',
    ]


def test_foreign_currency_carries_the_invoices_stored_rate(act, billing, client_for):
    tenant = billing["tenant"]
    _mapped(tenant)
    with freeze_time(DAY):
        ExchangeRate.objects.create(
            tenant=tenant, currency="GBP", date=datetime.date(2026, 3, 19), rate=Decimal("1.17")
        )
        billing["project"] = ProjectFactory(account=billing["account"], currency="GBP")
        item = billing["item"]
        item.project = billing["project"]
        item.save()
        issue(act, billing, [], [item])
        batch = act(reporting_services.export_batch_create)
    client = client_for(billing["world"].finance)
    sage = lines(fetch(client, batch, "sage-transactions"))
    # Sage and DATEV quote units of the currency per unit of the base currency: 1 / 1.17.
    assert sage[1].endswith(",190.00,T2,0.00,0.854701,,finance@alpha.example")
    datev = lines(fetch(client, batch, "datev-documents-2026"), "cp1252")
    assert datev[2].startswith('190,00;"S";"GBP";0,854701;222,30;"EUR";')
    xero = lines(fetch(client, batch, "xero-invoices"))
    assert xero[1].endswith(",GBP,")


def test_a_missing_mapping_is_refused_with_what_to_fill_in(act, billing, client_for):
    tenant = billing["tenant"]
    _map(tenant, "sage", {"LEAD-101": "4000"})
    with freeze_time(DAY):
        issue(act, billing, billing["registrations"][:1], [billing["item"]])
        batch = act(reporting_services.export_batch_create)
    client = client_for(billing["world"].finance)
    page = client.get(f"/alpha/exports/batches/{batch.pk}/accounting/").content.decode()
    assert "Revenue account for product EXAM (" in page
    assert "DATEV Beraternummer (consultant number)." in page
    assert "Tax code for STD (S, 20 %): DATEV has no default for it." in page
    refused = client.get(
        f"/alpha/exports/batches/{batch.pk}/accounting/sage-transactions.csv", follow=True
    )
    assert "Map these on the Sage 50 / Business Cloud mapping page first" in (
        refused.content.decode()
    )
    assert "Revenue account for product EXAM" in refused.content.decode()
    assert not BatchFile.objects.exists()
    # "*" maps every other product: now the file is written.
    _map(tenant, "sage", {"*": "4099"})
    assert b",4099,," in fetch(client, batch, "sage-transactions")


def test_a_file_downloads_with_the_same_bytes_after_the_mapping_changed(batch, billing, client_for):
    client = client_for(billing["world"].finance)
    names = ["xero-invoices", "qbo-invoices", "sage-transactions", "datev-documents-2026"]
    first = {name: fetch(client, batch, name) for name in names}
    AccountCode.objects.filter(kind="revenue").update(code="9999")
    AccountingSettings.objects.update(datev_client_number=1)
    assert {name: fetch(client, batch, name) for name in names} == first
    assert BatchFile.objects.count() == 4


def test_the_mapping_page_saves_codes_and_shows_defaults(billing, client_for):
    client = client_for(billing["world"].finance)
    page = client.get("/alpha/exports/accounting/?system=sage").content.decode()
    assert 'name="revenue:LEAD-101"' in page and "Default: T1" in page and "Default: T2" in page
    response = client.post(
        "/alpha/exports/accounting/",
        {"system": "sage", "form": "codes", "revenue:LEAD-101": "4000", "tax:STD": "T1"},
    )
    assert response.status_code == 302
    with activate(billing["tenant"]):
        assert set(AccountCode.objects.values_list("system", "key", "code")) == {
            ("sage", "LEAD-101", "4000"),
            ("sage", "STD", "T1"),
        }
    refused = client.post(
        "/alpha/exports/accounting/",
        {"system": "datev", "form": "codes", "revenue:LEAD-101": "Erlöse"},
    )
    assert refused.status_code == 422 and "DATEV accounts are digits" in refused.content.decode()
    saved = client.post(
        "/alpha/exports/accounting/",
        {
            "system": "datev",
            "form": "settings",
            "datev_consultant_number": "29098",
            "datev_client_number": "55003",
            "fiscal_year_start_month": "4",
            "datev_account_length": "4",
            "datev_debtor_start": "10000",
            "datev_bank_account": "1200",
            "sage_bank_account": "1200",
        },
    )
    assert saved.status_code == 302
    with activate(billing["tenant"]):
        assert AccountingSettings.objects.get().fiscal_year_start_month == 4
    for role in ("staff", "viewer"):
        other = client_for(billing["world"].user(role))
        assert other.get("/alpha/exports/accounting/").status_code == 403


def test_datev_writes_one_file_per_fiscal_year(act, billing, client_for):
    """A Buchungsstapel holds one fiscal year: a batch across the year end (April here) makes
    one file per year, each with its WJ-Beginn and dates."""
    tenant = billing["tenant"]
    _mapped(tenant)
    AccountingSettings.objects.update(fiscal_year_start_month=4)
    with freeze_time(DAY):
        issue(act, billing, billing["registrations"][:1])
    with freeze_time("2026-04-02 09:00:00"):
        issue(act, billing, billing["registrations"][1:2])
        batch = act(reporting_services.export_batch_create)
    client = client_for(billing["world"].finance)
    page = client.get(f"/alpha/exports/batches/{batch.pk}/accounting/").content.decode()
    assert "fiscal year 2025/2026" in page and "fiscal year 2026/2027" in page
    earlier = lines(fetch(client, batch, "datev-documents-2025"), "cp1252")
    later = lines(fetch(client, batch, "datev-documents-2026"), "cp1252")
    assert ";20250401;4;20260320;20260320;" in earlier[0] and '"INV-00001"' in earlier[2]
    assert ";20260401;4;20260402;20260402;" in later[0] and '"INV-00002"' in later[2]
    assert len(earlier) == len(later) == 4


def test_the_mapping_and_batch_pages_ask_as_often_for_many_products_as_for_few(
    batch, billing, client_for
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import ProductFactory

    client = client_for(billing["world"].finance)
    urls = [
        "/alpha/exports/accounting/?system=datev",
        f"/alpha/exports/batches/{batch.pk}/accounting/",
    ]

    def counts():
        found = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            found.append(len(queries))
        return found

    before = counts()
    ProductFactory.create_batch(30, tenant=billing["tenant"])
    assert counts() == before


def test_the_mapping_page_lists_each_code_in_use_once(batch, billing):
    """The codes on issued documents, each once: the lines' own ordering (position, id) used to
    join the DISTINCT, so every line came back (cut at 500) and codes of later lines were left
    out."""
    with activate(billing["tenant"]), CaptureQueriesContext(connection) as queries:
        products, taxes = codes_in_use()
    with activate(billing["tenant"]):
        lines = InvoiceLine.objects.exclude(invoice__status="draft").count()
    distinct = next(q["sql"] for q in queries if "DISTINCT" in q["sql"])
    assert distinct.startswith(
        'SELECT DISTINCT "invoicing_invoiceline"."product_code" AS "product_code" FROM'
    )
    assert products == {"LEAD-101", "EXAM"}
    assert len(taxes) == len({(code, category) for code, category, _percent in taxes}) == 2
    assert lines > len(taxes)  # the place, the exam fees and the credit note's line
