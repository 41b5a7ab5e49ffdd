"""EN 16931 e-invoices (issue 15): the UBL 2.1 (Peppol BIS Billing 3.0) download and the Factur-X
CII inside the stored PDF, validated with the official artefacts (UBL 2.1 XSD, CEN's EN 16931
UBL schematron, Factur-X EN16931 XSD and schematron: see `einvoice_validation`), and their totals
equal to the invoice's and the reconciliation export's to the cent.

The invoices are made through the real services from companies and accounts filled in as a
user would (legal details, bank accounts, VAT ids, countries); the VAT rules (`invoicing.vat`)
decide each line's category, and each scenario checks it got the category it is about.
"""

import csv
import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from lxml import etree
from pypdf import PdfReader

from accounts.models import BankAccount
from accounts.platform.tax import VatCategory
from agreements import services as agreement_services
from invoicing import einvoice, services
from invoicing.models import ExchangeRate, Grouping, Invoice
from invoicing.pdf import render_invoice_pdf
from projects.models import Registration
from reporting.exports import ReconciliationExporter
from tests.factories import (
    AccountFactory,
    ItemFactory,
    PrepurchaseFactory,
    PriceListEntryFactory,
    PriceListFactory,
    ProductFactory,
    TaxRateFactory,
)
from tests.invoicing.einvoice_validation import (
    CII_NS,
    UBL_NS,
    amount_at,
    validate_cii,
    validate_ubl,
)

# --- Set-up: a company with its legal details, as the settings page saves them -----------------


def fill_in_company(tenant, *, country="GB"):
    if country == "GB":
        tenant.address, tenant.postal_code, tenant.city = "12 Fleet Street", "EC4Y 1AA", "London"
        tenant.vat_number = "GB980780684"
        tenant.registration_number = "09876543"
        tenant.registration_register = "Companies House, England and Wales"
    else:
        tenant.address, tenant.postal_code, tenant.city = "Leopoldstraße 8", "80802", "München"
        tenant.vat_number = "DE136695976"
        tenant.registration_number = "HRB 123456"
        tenant.registration_register = "Amtsgericht München"
    tenant.country = country
    tenant.invoice_contact_name = "Accounts team"
    tenant.invoice_email = "accounts@alpha.example"
    tenant.invoice_phone = "+44 20 7946 0000"
    tenant.save()
    BankAccount.objects.create(
        tenant=tenant,
        label="EUR account",
        bank_name="Commerzbank",
        currency="EUR",
        iban="DE89 3704 0044 0532 0130 00",
        bic="COBADEFFXXX",
        is_default=True,
    )
    BankAccount.objects.create(
        tenant=tenant,
        label="GBP account",
        bank_name="Barclays",
        currency="GBP",
        account_number="31926819",
        sort_code="20-00-00",
    )


@pytest.fixture
def company(billing):
    fill_in_company(billing["tenant"])
    account = billing["account"]
    account.tax_id = "GB123456782"
    account.invoice_email = "payables@meridian.example"
    account.save()
    return billing


def ids(rows):
    return [row.pk for row in rows]


def issue(act, billing, registrations=(), items=(), project=None):
    (draft,) = act(
        services.drafts_create,
        project=project or billing["project"],
        registration_ids=ids(registrations),
        item_ids=ids(items),
        grouping=Grouping.ALL,
    )
    invoice = act(services.invoice_issue, invoice=draft)
    return Invoice.objects.select_related("credits", "tenant").get(pk=invoice.pk)


def categories(invoice):
    return {line.tax_category for line in invoice.lines.all()}


def foreign_account(billing, *, country, tax_id="", **fields):
    defaults = {
        "DE": ("Unter den Linden 5", "10117", "Berlin"),
        "FR": ("10 rue de Rivoli", "75004", "Paris"),
        "US": ("350 Fifth Avenue", "10118", "New York"),
    }
    street, postal_code, city = defaults[country]
    return AccountFactory(
        tenant=billing["tenant"],
        name=f"Customer in {country}",
        address=street,
        postal_code=postal_code,
        city=city,
        country_area="NY" if country == "US" else "",
        country=country,
        tax_id=tax_id,
        invoice_email=f"invoices@{country.lower()}.example",
        **fields,
    )


def move_project(billing, account, currency="EUR"):
    """The billing fixture's project, billed to `account` (before anything is invoiced)."""
    project = billing["project"]
    project.account = project.billing_account = account
    project.currency = currency
    project.save()
    if currency != billing["tenant"].base_currency:
        ExchangeRate.objects.create(
            tenant=billing["tenant"], currency=currency, date=datetime.date.today(), rate="1.15"
        )
    return project


# --- What every e-invoice must be ---------------------------------------------------------------


def assert_valid(invoice, *, peppol=True):
    """UBL and CII valid against XSD and schematron; the CII is the one inside the stored PDF;
    totals equal the invoice's and the reconciliation export's. Returns (ubl, cii) trees."""
    ubl = einvoice.ubl_xml(invoice)
    report = validate_ubl(ubl)
    assert report.valid, (report.xsd_errors, report.errors, ubl.decode())
    assert not report.warnings
    pdf = render_invoice_pdf(invoice)
    cii = einvoice.xml_from_pdf(pdf)
    assert cii is not None, "the PDF carries no Factur-X XML"
    assert cii == einvoice.cii_xml(invoice)
    report = validate_cii(cii)
    assert report.valid, (report.xsd_errors, report.errors, cii.decode())
    assert not report.warnings
    ubl_tree, cii_tree = etree.fromstring(ubl), etree.fromstring(cii)
    assert_totals(invoice, ubl_tree, cii_tree)
    if peppol:
        assert_peppol_basics(invoice, ubl_tree)
    return ubl_tree, cii_tree


def assert_totals(invoice, ubl, cii):
    sign = -1 if invoice.is_credit_note else 1
    expected = (invoice.net_total * sign, invoice.tax_total * sign, invoice.gross_total * sign)
    ubl_totals = (
        amount_at(ubl, "cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount/text()", UBL_NS),
        amount_at(ubl, "cac:TaxTotal/cbc:TaxAmount/text()", UBL_NS),
        amount_at(ubl, "cac:LegalMonetaryTotal/cbc:PayableAmount/text()", UBL_NS),
    )
    summation = (
        "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/"
        "ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
    )
    cii_totals = (
        amount_at(cii, summation + "ram:TaxBasisTotalAmount/text()", CII_NS),
        amount_at(cii, summation + "ram:TaxTotalAmount/text()", CII_NS),
        amount_at(cii, summation + "ram:DuePayableAmount/text()", CII_NS),
    )
    assert ubl_totals == expected == cii_totals
    # The reconciliation export's lines of this invoice add up to the same figures.
    exporter = ReconciliationExporter(tenant=invoice.tenant, invoices=[invoice.pk])
    rows = list(csv.DictReader(io.StringIO(exporter.csv().decode())))
    assert rows and {row["invoice_number"] for row in rows} == {invoice.number}
    export = tuple(sum(Decimal(row[k]) for row in rows) for k in ("net", "tax", "gross"))
    assert tuple(value * sign for value in export) == expected


def assert_peppol_basics(invoice, ubl):
    """Peppol BIS 3 rules the CEN schematron does not run (its own schematron is not
    installable here): endpoints with a scheme, a buyer reference, one note at most, and
    each line's net = quantity x price - allowances."""
    for party in ("AccountingSupplierParty", "AccountingCustomerParty"):
        (endpoint,) = ubl.xpath(f"cac:{party}/cac:Party/cbc:EndpointID", namespaces=UBL_NS)
        assert endpoint.text and endpoint.get("schemeID")
    assert ubl.xpath("cbc:BuyerReference/text()", namespaces=UBL_NS)
    assert len(ubl.xpath("cbc:Note", namespaces=UBL_NS)) <= 1
    assert not [e for e in ubl.iter() if not len(e) and not (e.text or "").strip()]
    line_tag = "cac:CreditNoteLine" if invoice.is_credit_note else "cac:InvoiceLine"
    quantity_tag = "cbc:CreditedQuantity" if invoice.is_credit_note else "cbc:InvoicedQuantity"
    for line in ubl.xpath(line_tag, namespaces=UBL_NS):
        quantity = amount_at(line, f"{quantity_tag}/text()", UBL_NS)
        price = amount_at(line, "cac:Price/cbc:PriceAmount/text()", UBL_NS)
        allowances = sum(
            (
                Decimal(text)
                for text in line.xpath(
                    "cac:AllowanceCharge[cbc:ChargeIndicator='false']/cbc:Amount/text()",
                    namespaces=UBL_NS,
                )
            ),
            Decimal(0),
        )
        net = amount_at(line, "cbc:LineExtensionAmount/text()", UBL_NS)
        assert (quantity * price - allowances).quantize(Decimal("0.01")) == net
        assert price >= 0


def ubl_band(ubl):
    return {
        subtotal.findtext("cac:TaxCategory/cbc:ID", namespaces=UBL_NS): subtotal
        for subtotal in ubl.xpath("cac:TaxTotal/cac:TaxSubtotal", namespaces=UBL_NS)
    }


# --- Scenarios ----------------------------------------------------------------------------------


def test_a_domestic_invoice_with_a_discount_and_two_rates_is_valid_ubl_and_factur_x(act, company):
    invoice = issue(act, company, company["registrations"], [company["item"]])
    # The exam fee is exempt (the fixture's EXM rate), the places standard-rated.
    assert categories(invoice) == {VatCategory.STANDARD, VatCategory.EXEMPT}
    ubl, cii = assert_valid(invoice)
    assert ubl.tag.endswith("}Invoice")
    assert ubl.findtext("cbc:InvoiceTypeCode", namespaces=UBL_NS) == "380"
    assert ubl.findtext("cbc:ProfileID", namespaces=UBL_NS) == (
        "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
    )
    assert set(ubl_band(ubl)) == {"S", "E"}
    # 10 % off each place: a line allowance, so that the line's net adds up.
    (first,) = ubl.xpath("cac:InvoiceLine[1]", namespaces=UBL_NS)
    assert first.findtext("cac:AllowanceCharge/cbc:Amount", namespaces=UBL_NS) == "100.00"
    assert first.findtext("cbc:LineExtensionAmount", namespaces=UBL_NS) == "900.00"
    # The seller's legal details and bank account, as frozen at issue.
    seller = ubl.find("cac:AccountingSupplierParty/cac:Party", namespaces=UBL_NS)
    assert seller.findtext("cac:PartyTaxScheme/cbc:CompanyID", namespaces=UBL_NS) == ("GB980780684")
    assert seller.findtext("cac:PartyLegalEntity/cbc:CompanyID", namespaces=UBL_NS) == "09876543"
    assert seller.findtext("cac:PostalAddress/cbc:CityName", namespaces=UBL_NS) == "London"
    means = ubl.find("cac:PaymentMeans", namespaces=UBL_NS)
    assert means.findtext("cbc:PaymentMeansCode", namespaces=UBL_NS) == "58"  # SEPA: EUR IBAN
    assert means.findtext("cac:PayeeFinancialAccount/cbc:ID", namespaces=UBL_NS) == (
        "DE89370400440532013000"
    )
    assert ubl.findtext("cbc:BuyerReference", namespaces=UBL_NS) == invoice.project_code
    assert cii.findtext(
        ".//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID", namespaces=CII_NS
    ) == ("urn:cen.eu:en16931:2017")


def test_a_purchase_order_is_the_buyer_reference_and_a_gbp_account_pays_by_sort_code(act, company):
    project = move_project(company, company["account"], currency="GBP")
    Registration.objects.filter(pk__in=ids(company["registrations"])).update(
        po_reference="", purchase_order=None
    )
    invoice = issue(act, company, company["registrations"][:1], project=project)
    Invoice.objects.filter(pk=invoice.pk).update(po_reference="PO-7781")
    invoice.refresh_from_db()
    ubl, _ = assert_valid(invoice)
    assert ubl.findtext("cbc:BuyerReference", namespaces=UBL_NS) == "PO-7781"
    assert ubl.findtext("cac:OrderReference/cbc:ID", namespaces=UBL_NS) == "PO-7781"
    means = ubl.find("cac:PaymentMeans", namespaces=UBL_NS)
    assert means.findtext("cbc:PaymentMeansCode", namespaces=UBL_NS) == "30"
    account = means.find("cac:PayeeFinancialAccount", namespaces=UBL_NS)
    assert account.findtext("cbc:ID", namespaces=UBL_NS) == "31926819"
    assert account.findtext("cac:FinancialInstitutionBranch/cbc:ID", namespaces=UBL_NS) == (
        "20-00-00"
    )


def test_a_handling_fee_line_is_valid(act, company):
    project = company["project"]
    project.handling_fee_percent = Decimal("7.5")
    project.save()
    invoice = issue(act, company, company["registrations"][:3])
    assert invoice.lines.filter(kind="handling_fee").exists()
    ubl, _ = assert_valid(invoice)
    names = ubl.xpath("cac:InvoiceLine/cac:Item/cbc:Name/text()", namespaces=UBL_NS)
    assert "Handling fee" in names


def test_a_credit_note_is_a_positive_ubl_credit_note_and_cii_381_referring_to_the_invoice(
    act, company
):
    invoice = issue(act, company, company["registrations"], [company["item"]])
    note = act(services.invoice_credit, invoice=invoice, reason="Cancelled by the customer.")
    note = Invoice.objects.select_related("credits", "tenant").get(pk=note.pk)
    assert note.net_total < 0
    ubl, cii = assert_valid(note)
    assert ubl.tag.endswith("}CreditNote")
    assert ubl.findtext("cbc:CreditNoteTypeCode", namespaces=UBL_NS) == "381"
    assert (
        ubl.findtext("cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID", namespaces=UBL_NS)
        == invoice.number
    )
    amounts = [Decimal(a) for a in ubl.xpath("//cbc:LineExtensionAmount/text()", namespaces=UBL_NS)]
    assert amounts and all(amount > 0 for amount in amounts)
    assert cii.findtext("rsm:ExchangedDocument/ram:TypeCode", namespaces=CII_NS) == "381"
    assert (
        cii.findtext(".//ram:InvoiceReferencedDocument/ram:IssuerAssignedID", namespaces=CII_NS)
        == invoice.number
    )


def test_reverse_charge_to_a_german_company_with_a_vat_id(act, company):
    customer = foreign_account(company, country="DE", tax_id="DE136695976")
    project = move_project(company, customer)
    invoice = issue(act, company, company["registrations"], project=project)
    assert categories(invoice) == {VatCategory.REVERSE_CHARGE}
    assert invoice.tax_total == 0
    ubl, cii = assert_valid(invoice)
    band = ubl_band(ubl)["AE"]
    assert band.findtext("cac:TaxCategory/cbc:TaxExemptionReasonCode", namespaces=UBL_NS) == (
        "VATEX-EU-AE"
    )
    buyer = ubl.find("cac:AccountingCustomerParty/cac:Party", namespaces=UBL_NS)
    assert buyer.findtext("cac:PartyTaxScheme/cbc:CompanyID", namespaces=UBL_NS) == "DE136695976"
    assert (
        buyer.findtext("cac:PostalAddress/cac:Country/cbc:IdentificationCode", namespaces=UBL_NS)
        == "DE"
    )
    assert "Reverse charge" in ubl.findtext("cbc:Note", namespaces=UBL_NS)
    assert cii.findtext(".//ram:ApplicableTradeTax/ram:ExemptionReasonCode", namespaces=CII_NS) == (
        "VATEX-EU-AE"
    )


def test_an_exempt_course_carries_its_vatex_code_and_text(act, company):
    exempt = TaxRateFactory(
        tenant=company["tenant"],
        code="EXT",
        percent=Decimal("0"),
        category=VatCategory.EXEMPT,
        exemption_reason_code="VATEX-EU-132-1I",
        exemption_reason="Exempt: vocational training (Article 132(1)(i) of Directive 2006/112/EC)",
    )
    product = company["events"][0].product
    product.tax_rate = exempt
    product.save()
    invoice = issue(act, company, company["registrations"])
    assert categories(invoice) == {VatCategory.EXEMPT}
    ubl, cii = assert_valid(invoice)
    category = ubl_band(ubl)["E"].find("cac:TaxCategory", namespaces=UBL_NS)
    assert category.findtext("cbc:TaxExemptionReasonCode", namespaces=UBL_NS) == "VATEX-EU-132-1I"
    assert "vocational training" in category.findtext("cbc:TaxExemptionReason", namespaces=UBL_NS)
    assert cii.findtext(
        ".//ram:ApplicableTradeTax/ram:ExemptionReason", namespaces=CII_NS
    ).startswith("Exempt: vocational training")


def test_a_course_for_a_us_company_is_outside_the_scope_without_vat_ids(act, company):
    customer = foreign_account(company, country="US")
    project = move_project(company, customer, currency="USD")
    invoice = issue(act, company, company["registrations"][:2], project=project)
    assert categories(invoice) == {VatCategory.OUTSIDE_SCOPE}
    ubl, cii = assert_valid(invoice)
    # BR-O-02: no VAT id on an invoice with category O; the seller is identified by its
    # company registration number (BR-CO-26), and the O category has no rate (BR-O-05).
    assert not ubl.xpath("//cac:PartyTaxScheme", namespaces=UBL_NS)
    assert not ubl.xpath("//cac:ClassifiedTaxCategory/cbc:Percent", namespaces=UBL_NS)
    assert not cii.xpath("//ram:SpecifiedTaxRegistration", namespaces=CII_NS)
    buyer = ubl.find("cac:AccountingCustomerParty/cac:Party/cac:PostalAddress", namespaces=UBL_NS)
    assert buyer.findtext("cbc:CountrySubentity", namespaces=UBL_NS) == "NY"


def test_goods_from_germany_to_a_french_company_are_an_intra_community_supply(
    act, billing, world_a
):
    tenant = billing["tenant"]
    fill_in_company(tenant, country="DE")
    customer = foreign_account(billing, country="FR", tax_id="FR40303265045")
    project = move_project(billing, customer)
    books = ItemFactory(
        project=project,
        product=ProductFactory(
            tenant=tenant,
            code="BOOK",
            kind="item",
            is_goods=True,
            name="Workbook",
            tax_rate=billing["item"].product.tax_rate,
        ),
        quantity=Decimal("12"),
        unit_price=Decimal("24.90"),
        net_amount=Decimal("298.80"),
        description="Workbook, first-time managers",
        date=datetime.date(2026, 3, 2),
    )
    invoice = issue(act, billing, items=[books], project=project)
    assert categories(invoice) == {VatCategory.INTRA_COMMUNITY}
    ubl, _ = assert_valid(invoice)
    # BR-IC-11, BR-IC-12: a delivery date and the country delivered to.
    assert (
        ubl.findtext(
            "cac:Delivery/cac:DeliveryLocation/cac:Address/cac:Country/cbc:IdentificationCode",
            namespaces=UBL_NS,
        )
        == "FR"
    )
    assert (
        ubl_band(ubl)["K"].findtext("cac:TaxCategory/cbc:TaxExemptionReasonCode", namespaces=UBL_NS)
        == "VATEX-EU-IC"
    )


def test_a_line_paid_from_a_prepurchase_agreement_still_adds_up(act, company):
    course = company["events"][0].product
    price_list = PriceListFactory(tenant=company["tenant"], currency="EUR")
    PriceListEntryFactory(price_list=price_list, product=course, unit_price=Decimal("1000"))
    agreement = PrepurchaseFactory(account=company["account"], price_list=price_list)
    agreement_services.prepurchase_charge(
        tenant=company["tenant"], by=None, agreement=agreement, amount="5000"
    )
    paid = company["registrations"][0]
    Registration.objects.filter(pk=paid.pk).update(prepurchase=agreement)
    invoice = issue(act, company, company["registrations"][:2])
    prepaid = invoice.lines.get(kind="prepurchase")
    assert prepaid.net == 0 and prepaid.prepaid_value > 0
    ubl, _ = assert_valid(invoice)
    reasons = ubl.xpath(
        "cac:InvoiceLine/cac:AllowanceCharge/cbc:AllowanceChargeReason/text()", namespaces=UBL_NS
    )
    assert "Paid from a prepurchase agreement" in reasons


def test_an_invoice_issued_before_the_structured_snapshot_still_validates(act, company):
    invoice = issue(act, company, company["registrations"][:1])
    Invoice.objects.filter(pk=invoice.pk).update(
        seller_details={}, buyer_details={}, payment_details={}
    )
    invoice.refresh_from_db()
    # Valid EN 16931; not Peppol, which wants electronic addresses the old snapshot lacks.
    ubl, _ = assert_valid(invoice, peppol=False)
    buyer = ubl.find("cac:AccountingCustomerParty/cac:Party", namespaces=UBL_NS)
    assert buyer.findtext("cac:PartyName/cbc:Name", namespaces=UBL_NS) == "Meridian Health"


def test_a_currency_with_three_decimals_gets_no_e_invoice_but_a_pdf(act, company, client_for):
    invoice = issue(act, company, company["registrations"][:1])
    Invoice.objects.filter(pk=invoice.pk).update(currency="KWD")
    invoice.refresh_from_db()
    with pytest.raises(einvoice.EInvoiceUnavailable, match="at most two decimals"):
        einvoice.ubl_xml(invoice)
    pdf = render_invoice_pdf(invoice)
    assert pdf.startswith(b"%PDF") and einvoice.xml_from_pdf(pdf) is None
    client = client_for(company["world"].viewer)
    response = client.get(f"/alpha/invoices/{invoice.pk}/ubl/", follow=True)
    assert response.redirect_chain[-1][0] == invoice.get_absolute_url()
    assert "at most two decimals" in response.content.decode()


def test_without_the_company_country_the_pdf_is_still_stored_without_e_invoice(act, company):
    invoice = issue(act, company, company["registrations"][:1])
    Invoice.objects.filter(pk=invoice.pk).update(seller_details={})
    company["tenant"].country = ""
    company["tenant"].save()
    invoice = Invoice.objects.select_related("tenant").get(pk=invoice.pk)
    assert not einvoice.is_supported(invoice)
    with pytest.raises(einvoice.EInvoiceUnavailable, match="company's country"):
        einvoice.cii_xml(invoice)
    pdf = render_invoice_pdf(invoice)
    assert pdf.startswith(b"%PDF") and einvoice.xml_from_pdf(pdf) is None


def test_the_stored_pdf_is_pdf_a_3b_with_the_factur_x_xml(
    act, company, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invoice = issue(act, company, company["registrations"][:2])
    invoice.refresh_from_db()
    with invoice.pdf.open("rb") as handle:
        content = handle.read()
    reader = PdfReader(io.BytesIO(content))
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert "<pdfaid:part>3</pdfaid:part>" in xmp and "<pdfaid:conformance>B" in xmp
    assert "<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>" in xmp
    (attachment,) = reader.trailer["/Root"]["/AF"]
    assert attachment.get_object()["/F"] == "factur-x.xml"
    assert attachment.get_object()["/AFRelationship"] == "/Data"
    assert validate_cii(einvoice.xml_from_pdf(content)).valid


# --- Downloads ----------------------------------------------------------------------------------


def test_the_ubl_download_is_xml_named_by_number(act, company, client_for):
    invoice = issue(act, company, company["registrations"][:1])
    response = client_for(company["world"].viewer).get(f"/alpha/invoices/{invoice.pk}/ubl/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    assert f'filename="{invoice.number}.xml"' in response["Content-Disposition"]
    assert validate_ubl(response.content).valid


def test_the_ubl_download_is_404_for_drafts_and_other_tenants(act, company, client_for, world_b):
    (draft,) = act(
        services.drafts_create,
        project=company["project"],
        registration_ids=[company["registrations"][0].pk],
    )
    client = client_for(company["world"].viewer)
    assert client.get(f"/alpha/invoices/{draft.pk}/ubl/").status_code == 404
    invoice = act(services.invoice_issue, invoice=draft)
    assert client_for(world_b.viewer).get(f"/bravo/invoices/{invoice.pk}/ubl/").status_code == 404
    assert client_for(world_b.viewer).get(f"/alpha/invoices/{invoice.pk}/ubl/").status_code == 404


def test_the_zip_holds_each_invoices_pdf_and_ubl(act, company, client_for):
    first = issue(act, company, company["registrations"][:1])
    second = issue(act, company, company["registrations"][1:2])
    response = client_for(company["world"].finance).get(
        "/alpha/invoices/zip/", {"selected": [first.pk, second.pk]}
    )
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = set(archive.namelist())
    assert names == {f"{i.number}.{ext}" for i in (first, second) for ext in ("pdf", "xml")}
    assert validate_ubl(archive.read(f"{first.number}.xml")).valid
    assert einvoice.xml_from_pdf(archive.read(f"{second.number}.pdf"))


def test_an_xml_the_xsd_refuses_costs_the_e_invoice_never_the_pdf(
    act, company, monkeypatch, caplog
):
    invoice = issue(act, company, company["registrations"][:1])
    monkeypatch.setattr(
        "invoicing.einvoice.facturx.cii_xml",
        lambda *args: (
            b"<rsm:CrossIndustryInvoice "
            b'xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"/>'
        ),
    )
    pdf = render_invoice_pdf(invoice)
    assert pdf.startswith(b"%PDF") and einvoice.xml_from_pdf(pdf) is None
    assert "Factur-X XML of invoice" in caplog.text


def test_a_document_without_lines_has_no_e_invoice(act, company):
    invoice = issue(act, company, company["registrations"][:1])
    with pytest.raises(einvoice.EInvoiceUnavailable, match="no lines"):
        einvoice.ubl_xml(invoice, lines=[])


def test_a_control_character_pasted_into_a_name_never_costs_the_e_invoice_or_the_pdf(act, company):
    """Excel's in-cell line break (U+000B) in a customer's name and a line's text: XML 1.0
    cannot carry it, so it is left out of the XML; the frozen invoice still has its PDF with
    the Factur-X inside, its UBL and its e-mail."""
    account = company["account"]
    account.name = "Meridian\x0bHealth Group"
    account.save()
    invoice = issue(act, company, company["registrations"])
    assert "\x0b" in invoice.billing_name
    ubl, _cii = assert_valid(invoice)
    name = ubl.findtext(
        "cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName",
        namespaces=UBL_NS,
    )
    assert name == "MeridianHealth Group"


def test_a_funders_share_and_its_administration_fee_are_a_valid_e_invoice(act, company):
    """Issue 13.2: a grant pays 40 % of each line, up to a cap, with a fee: both payers'
    invoices are valid UBL and Factur-X, each line's net its quantity times price less an
    allowance naming the other payers' share."""
    from projects import services as project_services
    from projects.models import ProjectFunder

    fund = foreign_account(company, country="DE", tax_id="DE136695976")
    act(
        project_services.funder_save,
        funder=ProjectFunder(
            project=company["project"],
            name="Skills grant",
            account=fund,
            percent=Decimal("40"),
            cap=Decimal("1000"),
            admin_fee_percent=Decimal("2.5"),
        ),
    )
    drafts = act(
        services.drafts_create,
        project=company["project"],
        registration_ids=ids(company["registrations"]),
        item_ids=[company["item"].pk],
    )
    assert len(drafts) == 2
    for draft in drafts:
        invoice = act(services.invoice_issue, invoice=draft)
        invoice = Invoice.objects.select_related("credits", "tenant").get(pk=invoice.pk)
        ubl, _cii = assert_valid(invoice)
        reasons = ubl.xpath(
            "cac:InvoiceLine/cac:AllowanceCharge/cbc:AllowanceChargeReason/text()",
            namespaces=UBL_NS,
        )
        assert any("other payers' share" in reason for reason in reasons)
