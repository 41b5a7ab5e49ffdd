"""EN 16931 e-invoices of issued invoices and credit notes, written from the frozen snapshot:
UBL 2.1 following Peppol BIS Billing 3.0 (`ubl_xml`), and the Factur-X EN 16931 CII (`cii_xml`)
embedded into the stored PDF (`embed_facturx`). See `document` for the rules both follow."""

from invoicing.einvoice.cii import cii_xml
from invoicing.einvoice.document import EInvoiceUnavailable, check_supported, is_supported
from invoicing.einvoice.facturx import embed as embed_facturx
from invoicing.einvoice.facturx import xml_from_pdf
from invoicing.einvoice.ubl import ubl_xml

__all__ = [
    "EInvoiceUnavailable",
    "check_supported",
    "cii_xml",
    "embed_facturx",
    "is_supported",
    "ubl_xml",
    "xml_from_pdf",
]
