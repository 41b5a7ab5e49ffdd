"""The demo's invoices and credit notes are e-invoices a customer's system accepts (issue 16):
checked against EN 16931's schematron in both syntaxes (tests/invoicing/einvoice_validation.py).
The demo is seeded once for the package (`seeded_demo`, tests/demo/conftest.py)."""

from lxml import etree

from accounts.platform.models import Tenant
from accounts.platform.tenancy import activate
from invoicing import einvoice
from invoicing.models import Invoice
from tests.invoicing.einvoice_validation import (
    CII_NS,
    UBL_NS,
    amount_at,
    validate_cii,
    validate_ubl,
)


def test_every_demo_invoice_and_credit_note_is_a_valid_e_invoice(db):
    """The demo (`seed_demo`): every issued document of every company, in both syntaxes, with
    the totals of the invoice; its stored PDF, where rendered, carries the same CII."""
    seen = set()
    for tenant in Tenant.objects.order_by("pk"):
        with activate(tenant):
            documents = (
                Invoice.objects.exclude(status="draft")
                .select_related("credits", "tenant")
                .prefetch_related("lines")
            )
            for invoice in documents:
                ubl, cii = einvoice.ubl_xml(invoice), einvoice.cii_xml(invoice)
                for report in (validate_ubl(ubl), validate_cii(cii)):
                    assert report.valid, (invoice.number, report)
                    assert not report.warnings, (invoice.number, report.warnings)
                ubl_tree, cii_tree = etree.fromstring(ubl), etree.fromstring(cii)
                sign = -1 if invoice.is_credit_note else 1
                assert (
                    amount_at(ubl_tree, "cac:LegalMonetaryTotal/cbc:PayableAmount/text()", UBL_NS)
                    == invoice.gross_total * sign
                )
                assert (
                    amount_at(cii_tree, "//ram:DuePayableAmount/text()", CII_NS)
                    == invoice.gross_total * sign
                )
                if invoice.pdf:
                    with invoice.pdf.open("rb") as handle:
                        assert einvoice.xml_from_pdf(handle.read()) == cii
                seen.add(invoice.kind)
                seen |= {line.tax_category for line in invoice.lines.all()}
    # The demo has credit notes, a reverse-charge EU customer and an exempt course.
    assert {"invoice", "credit_note", "AE", "E", "S"} <= seen
