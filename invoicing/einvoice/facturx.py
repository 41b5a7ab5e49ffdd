"""The stored PDF as a Factur-X PDF/A-3: the CII XML (`cii.py`) embedded as `factur-x.xml`.

WeasyPrint writes the PDF as PDF/A-3b (`invoicing.pdf.render_invoice_pdf`); the `factur-x`
package adds the XML as an associated file (AFRelationship "Data"), checks it against the
Factur-X EN16931 XSD, and writes the XMP metadata that declares the profile.
"""

from __future__ import annotations

import logging

import facturx as facturx_lib

from accounts.platform.errors import log_unexpected
from invoicing.einvoice.cii import cii_xml
from invoicing.einvoice.document import EInvoiceUnavailable

FILENAME = "factur-x.xml"
LEVEL = "en16931"

# The package logs three INFO lines per PDF ("validated against XSD", "file added", …): with the
# root logger at INFO that is noise for every invoice a bulk run renders. Problems still show.
logging.getLogger("factur-x").setLevel(logging.WARNING)


def embed(pdf_bytes: bytes, invoice, lines=None) -> bytes:
    """`pdf_bytes` (a PDF/A-3b) with the invoice's CII embedded: a Factur-X EN 16931 PDF.
    Raises `EInvoiceUnavailable` where the invoice cannot have one (see `document`)."""
    kind = "Credit note" if invoice.is_credit_note else "Invoice"
    try:
        xml = cii_xml(invoice, lines)
        return _generate(pdf_bytes, xml, invoice, kind)
    except EInvoiceUnavailable:
        raise  # a document that cannot have one (no lines, three decimals, …): said as it is
    except Exception:  # writing or checking the XML failed: a bug, which must not cost the PDF
        reference = log_unexpected("Factur-X XML of invoice %s refused", invoice.pk)
        raise EInvoiceUnavailable(
            f"{invoice} has no e-invoice: it could not be written (reference {reference}). "
            "The PDF is the legal invoice."
        ) from None


def _generate(pdf_bytes: bytes, xml: bytes, invoice, kind: str) -> bytes:
    return facturx_lib.generate_from_binary(
        pdf_bytes,
        xml,
        flavor="factur-x",
        level=LEVEL,
        check_xsd=True,
        pdf_metadata={
            "author": invoice.seller_name,
            "keywords": f"Factur-X, {kind}",
            "title": f"{invoice.seller_name}: {kind} {invoice.number}",
            "subject": f"{kind} {invoice.number} dated {invoice.issue_date.isoformat()} issued "
            f"by {invoice.seller_name}",
        },
        lang="en-GB",
    )


def xml_from_pdf(pdf_bytes: bytes) -> bytes | None:
    """The Factur-X XML embedded in a PDF, or None when it holds none."""
    _filename, xml = facturx_lib.get_facturx_xml_from_pdf(pdf_bytes, check_xsd=False)
    return xml or None
