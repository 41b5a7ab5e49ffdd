"""Browser journey of issue 15 on the demo: invoice the reverse-charge customer, look at the
PDF, download the UBL e-invoice, send it and see the delivery log.

The demo is seeded in the test (`seed_demo`), so this also checks that the demo shows what the
README says: Hanseatic Logistics AG, a German company with a German VAT id that buys in EUR and
asks for the UBL file, has a delivered place still to invoice.
"""

import io
import re
import shutil
import subprocess
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from lxml import etree
from playwright.sync_api import expect
from pypdf import PdfReader

from accounts.models import Account
from accounts.platform.models import Tenant
from accounts.platform.tenancy import activate
from invoicing.models import Invoice
from projects.models import Registration
from tests.e2e.test_accounts_journey import log_in

pytestmark = pytest.mark.django_db(transaction=True)

UBL_NS = {
    "inv": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
}


def _pdf_to_png(pdf: bytes, directory) -> bytes:
    """The PDF's first page as a PNG, rendered by poppler's pdftoppm (what a person sees)."""
    source = directory / "invoice.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", source, source],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return (directory / "invoice.pdf.png").read_bytes()


def test_issue_to_the_reverse_charge_customer_open_pdf_download_ubl_send_and_see_the_log(
    page, tmp_path
):
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm not found: apt-get install -y poppler-utils to run this journey")
    call_command("seed_demo", stdout=StringIO())
    northwind = Tenant.objects.get(slug="northwind")
    with activate(northwind):
        customer = Account.objects.get(name="Hanseatic Logistics AG")
        waiting = (
            Registration.objects.filter(
                project__account=customer,
                project__status="active",
                status="delivered",
                invoiced=False,
                claims__isnull=True,
            )
            .select_related("project")
            .order_by("event__start_date", "pk")
            .first()
        )
        assert waiting is not None, "the demo leaves a delivered place to invoice"
        project = waiting.project
        issued_before = set(Invoice.objects.exclude(number="").values_list("number", flat=True))
    mail.outbox = []

    # Finance opens the customer's project and invoices the delivered place.
    log_in(page, "fiona.finance@northwind.example", "demo-pass-2026")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    page.goto(f"/northwind/projects/{project.pk}/registrations/")
    expect(page.get_by_role("heading", name=re.compile(re.escape(project.name)))).to_be_visible()
    page.get_by_role("combobox", name="Status", exact=True).select_option("delivered")
    page.get_by_role("combobox", name="Invoiced", exact=True).select_option("false")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"invoiced=false"))  # the tab reloaded, filtered
    rows = page.get_by_role("table", name="Registrations").locator("tbody tr")
    expect(rows.filter(has_text="Confirmed")).to_have_count(0)
    page.locator(f"input[name=selected][value='{waiting.pk}']").check()
    page.get_by_role("button", name="Create draft invoice").click()
    expect(page.get_by_role("heading", name="Create draft invoices")).to_be_visible()
    page.get_by_role("button", name="Create drafts (1 row)").click()
    expect(page.get_by_role("heading", name=re.compile("Draft invoice"))).to_be_visible()

    page.get_by_role("button", name="Issue").click()
    page.get_by_role("button", name=re.compile(r"^Issue as NWT-\d{5}")).click()  # asks once
    expect(page.get_by_text(re.compile(r"NWT-\d{5} issued\."))).to_be_visible()
    with activate(northwind):
        invoice = Invoice.objects.exclude(number="").exclude(number__in=issued_before).get()
    assert invoice.billing_account_id == customer.pk and invoice.currency == "EUR"
    # The page shows the reverse charge: category AE at 0 %, no tax, and the legal note.
    lines = page.get_by_role("table", name="Lines")
    expect(lines).to_contain_text(re.compile(r"\bAE\b"))
    expect(lines).to_contain_text(re.compile(r"\b0\s*%"))
    expect(page.get_by_text(re.compile("Reverse charge", re.I)).first).to_be_visible()
    totals = page.get_by_role("table", name="Totals")
    expect(totals).to_contain_text("€0.00")
    net = f"€{invoice.net_total:,.2f}"
    expect(page.locator("[data-total=gross]")).to_have_text(net)
    page.screenshot(path=str(tmp_path / "einvoice-issued.png"), full_page=True)

    # The PDF: Factur-X (the CII XML inside), reverse-charge note and bank details printed.
    pdf_link = page.get_by_role("link", name=re.compile(r"\bPDF\b"))
    pdf = page.request.get(pdf_link.get_attribute("href"))
    assert pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf.body()))
    text = " ".join(p.extract_text() for p in reader.pages)
    assert invoice.number in text and "Reverse charge" in text
    assert "DE89370400440532013000" in text.replace(" ", ""), "the EUR account is printed"
    assert "factur-x.xml" in (reader.attachments or {}), "the Factur-X XML is embedded"
    png = _pdf_to_png(pdf.body(), tmp_path)
    assert png.startswith(b"\x89PNG") and len(png) > 5000
    print(f"screenshots: {tmp_path / 'einvoice-issued.png'}, {tmp_path / 'invoice.pdf.png'}")

    # The UBL e-invoice (Peppol BIS Billing 3.0), downloadable from the page.
    ubl_link = page.locator(f"a[href$='/invoices/{invoice.pk}/ubl/']")
    expect(ubl_link).to_be_visible()
    ubl = page.request.get(ubl_link.get_attribute("href"))
    assert ubl.status == 200 and ubl.headers["content-type"].startswith("application/xml")
    root = etree.fromstring(ubl.body())
    assert root.tag == f"{{{UBL_NS['inv']}}}Invoice"
    assert root.findtext("cbc:ID", namespaces=UBL_NS) == invoice.number
    assert root.findtext("cbc:DocumentCurrencyCode", namespaces=UBL_NS) == "EUR"
    categories = {
        element.text
        for element in root.iterfind(".//cac:ClassifiedTaxCategory/cbc:ID", namespaces=UBL_NS)
    }
    assert categories == {"AE"}
    buyer_vat = root.findtext(
        "cac:AccountingCustomerParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID",
        namespaces=UBL_NS,
    )
    assert buyer_vat == customer.tax_id

    # Send (asked once): one e-mail to the customer's invoice address with the PDF and, as the
    # account asks for it, the UBL; the delivery log shows it sent.
    log = page.get_by_role("table", name="Delivery log")
    expect(log).to_contain_text("Not e-mailed yet.")
    page.get_by_role("link", name="Send").click()
    email = page.locator("#email")
    expect(email.locator("[data-send=to]")).to_contain_text(customer.invoice_email)
    email.get_by_text(re.compile(r"^\s*Send…")).click()
    email.get_by_role("button", name="Send now").click()
    row = page.get_by_role("table", name="Delivery log").locator(
        "tbody tr", has_text=customer.invoice_email
    )
    expect(row).to_have_count(1)
    expect(row).to_contain_text(re.compile(r"\bSent\b"))
    page.screenshot(path=str(tmp_path / "einvoice-sent.png"), full_page=True)
    sent = [message for message in mail.outbox if customer.invoice_email in message.to]
    assert len(sent) == 1
    names = {name for name, _content, _type in sent[0].attachments}
    assert any(name.endswith(".pdf") for name in names)
    assert any(name.endswith(".xml") for name in names), names
    with activate(northwind):
        (delivery,) = invoice.deliveries.all()
        assert (delivery.recipient, delivery.status) == (customer.invoice_email, "sent")
