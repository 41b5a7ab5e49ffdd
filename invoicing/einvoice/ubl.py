"""UBL 2.1 Invoice (380) and CreditNote (381) following Peppol BIS Billing 3.0.

Written from `document.build` (the frozen snapshot), element order as the UBL 2.1 schemas
require. Validated in the tests with the UBL 2.1 XSD and CEN's EN 16931 UBL schematron.
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from invoicing.einvoice.document import (
    CUSTOMIZATION_ID,
    PROFILE_ID,
    UNIT_CODE,
    EDocument,
    build,
    price_text,
    xml_text,
)

NS_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
NS_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"


def ubl_xml(invoice, lines=None) -> bytes:
    """The UBL document of an issued invoice or credit note, as UTF-8 bytes."""
    return render(build(invoice, lines))


def render(doc: EDocument) -> bytes:
    root_ns = NS_CREDIT_NOTE if doc.is_credit_note else NS_INVOICE
    root = etree.Element(
        f"{{{root_ns}}}{'CreditNote' if doc.is_credit_note else 'Invoice'}",
        nsmap={None: root_ns, "cac": CAC, "cbc": CBC},
    )
    w = _Writer(doc)
    w.cbc(root, "CustomizationID", CUSTOMIZATION_ID)
    w.cbc(root, "ProfileID", PROFILE_ID)
    w.cbc(root, "ID", doc.number)
    w.cbc(root, "IssueDate", doc.issue_date.isoformat())
    if not doc.is_credit_note and doc.due_date:
        w.cbc(root, "DueDate", doc.due_date.isoformat())
    w.cbc(root, "CreditNoteTypeCode" if doc.is_credit_note else "InvoiceTypeCode", doc.type_code)
    w.cbc(root, "Note", doc.note)
    w.cbc(root, "DocumentCurrencyCode", doc.currency)
    w.cbc(root, "BuyerReference", doc.buyer_reference)
    if doc.period_start:
        period = w.cac(root, "InvoicePeriod")
        w.cbc(period, "StartDate", doc.period_start.isoformat())
        w.cbc(period, "EndDate", doc.period_end.isoformat())
    if doc.order_reference:
        w.cbc(w.cac(root, "OrderReference"), "ID", doc.order_reference)
    if doc.credited_number:
        reference = w.cac(w.cac(root, "BillingReference"), "InvoiceDocumentReference")
        w.cbc(reference, "ID", doc.credited_number)
        if doc.credited_date:
            w.cbc(reference, "IssueDate", doc.credited_date.isoformat())
    if doc.project_code and not doc.is_credit_note:
        w.cbc(w.cac(root, "ProjectReference"), "ID", doc.project_code)
    w.party(w.cac(root, "AccountingSupplierParty"), doc.seller, seller=True)
    w.party(w.cac(root, "AccountingCustomerParty"), doc.buyer, seller=False)
    if doc.deliver_to_country or doc.delivery_date:
        delivery = w.cac(root, "Delivery")
        if doc.delivery_date:
            w.cbc(delivery, "ActualDeliveryDate", doc.delivery_date.isoformat())
        if doc.deliver_to_country:
            address = w.cac(w.cac(delivery, "DeliveryLocation"), "Address")
            w.cbc(w.cac(address, "Country"), "IdentificationCode", doc.deliver_to_country)
    if doc.payment or (doc.is_credit_note and doc.due_date):
        w.payment_means(root)
    if doc.payment_terms:
        w.cbc(w.cac(root, "PaymentTerms"), "Note", doc.payment_terms)
    w.tax_total(root)
    w.monetary_total(root)
    for line in doc.lines:
        w.line(root, line)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


class _Writer:
    def __init__(self, doc: EDocument):
        self.doc = doc

    def cbc(self, parent, name, text, **attrs):
        if text is None or text == "":
            return None  # Peppol R008: no empty elements
        element = etree.SubElement(parent, f"{{{CBC}}}{name}", attrs)
        element.text = xml_text(text)
        return element

    def cac(self, parent, name):
        return etree.SubElement(parent, f"{{{CAC}}}{name}")

    def money(self, parent, name, value: Decimal):
        return self.cbc(parent, name, self.doc.amount(value), currencyID=self.doc.currency)

    def party(self, parent, p, *, seller: bool):
        party = self.cac(parent, "Party")
        if p.endpoint_id:
            self.cbc(party, "EndpointID", p.endpoint_id, schemeID=p.endpoint_scheme)
        if p.identifier:
            self.cbc(self.cac(party, "PartyIdentification"), "ID", p.identifier)
        self.cbc(self.cac(party, "PartyName"), "Name", p.name)
        address = self.cac(party, "PostalAddress")
        street = list(p.street_lines)
        self.cbc(address, "StreetName", street[0] if street else "")
        self.cbc(address, "AdditionalStreetName", ", ".join(street[1:]))
        self.cbc(address, "CityName", p.city)
        self.cbc(address, "PostalZone", p.postal_code)
        self.cbc(address, "CountrySubentity", p.country_area)
        self.cbc(self.cac(address, "Country"), "IdentificationCode", p.country)
        if p.vat_id:
            scheme = self.cac(party, "PartyTaxScheme")
            self.cbc(scheme, "CompanyID", p.vat_id)
            self.cbc(self.cac(scheme, "TaxScheme"), "ID", "VAT")
        legal = self.cac(party, "PartyLegalEntity")
        self.cbc(legal, "RegistrationName", p.name)
        self.cbc(legal, "CompanyID", p.registration_number)
        if seller:
            self.cbc(legal, "CompanyLegalForm", p.register)
        if p.contact_name or p.phone or p.email:
            contact = self.cac(party, "Contact")
            self.cbc(contact, "Name", p.contact_name)
            self.cbc(contact, "Telephone", p.phone)
            self.cbc(contact, "ElectronicMail", p.email)

    def payment_means(self, root):
        doc, payment = self.doc, self.doc.payment
        means = self.cac(root, "PaymentMeans")
        self.cbc(means, "PaymentMeansCode", payment.means_code if payment else "30")
        if doc.is_credit_note and doc.due_date:
            self.cbc(means, "PaymentDueDate", doc.due_date.isoformat())
        self.cbc(means, "PaymentID", doc.number)
        if payment:
            account = self.cac(means, "PayeeFinancialAccount")
            self.cbc(account, "ID", payment.account_id)
            self.cbc(account, "Name", payment.account_name)
            if payment.provider_id:
                self.cbc(self.cac(account, "FinancialInstitutionBranch"), "ID", payment.provider_id)

    def tax_category(self, parent, name, category, percent, code="", reason=""):
        element = self.cac(parent, name)
        self.cbc(element, "ID", category)
        if percent is not None:
            self.cbc(element, "Percent", format(percent.normalize(), "f"))
        self.cbc(element, "TaxExemptionReasonCode", code)
        self.cbc(element, "TaxExemptionReason", reason)
        self.cbc(self.cac(element, "TaxScheme"), "ID", "VAT")
        return element

    def tax_total(self, root):
        total = self.cac(root, "TaxTotal")
        self.money(total, "TaxAmount", self.doc.tax_total)
        for band in self.doc.bands:
            subtotal = self.cac(total, "TaxSubtotal")
            self.money(subtotal, "TaxableAmount", band.taxable)
            self.money(subtotal, "TaxAmount", band.tax)
            self.tax_category(
                subtotal,
                "TaxCategory",
                band.category,
                band.percent,
                band.exemption_code,
                band.exemption_reason,
            )

    def monetary_total(self, root):
        doc = self.doc
        total = self.cac(root, "LegalMonetaryTotal")
        self.money(total, "LineExtensionAmount", doc.line_total)
        self.money(total, "TaxExclusiveAmount", doc.line_total)
        self.money(total, "TaxInclusiveAmount", doc.gross_total)
        self.money(total, "PayableAmount", doc.payable)

    def line(self, root, line):
        doc = self.doc
        element = self.cac(root, "CreditNoteLine" if doc.is_credit_note else "InvoiceLine")
        self.cbc(element, "ID", line.id)
        quantity = format(line.quantity.normalize(), "f")
        self.cbc(
            element,
            "CreditedQuantity" if doc.is_credit_note else "InvoicedQuantity",
            quantity,
            unitCode=UNIT_CODE,
        )
        self.money(element, "LineExtensionAmount", line.net)
        if line.period:
            period = self.cac(element, "InvoicePeriod")
            self.cbc(period, "StartDate", line.period.isoformat())
            self.cbc(period, "EndDate", line.period.isoformat())
        for allowance in line.allowances:
            charge = self.cac(element, "AllowanceCharge")
            self.cbc(charge, "ChargeIndicator", "false")
            self.cbc(charge, "AllowanceChargeReasonCode", allowance.reason_code)
            self.cbc(charge, "AllowanceChargeReason", allowance.reason)
            self.money(charge, "Amount", allowance.amount)
        item = self.cac(element, "Item")
        self.cbc(item, "Description", line.description)
        self.cbc(item, "Name", line.name)
        if line.product_code:
            self.cbc(self.cac(item, "SellersItemIdentification"), "ID", line.product_code)
        self.tax_category(item, "ClassifiedTaxCategory", line.category, line.percent)
        price = self.cac(element, "Price")
        self.cbc(
            price,
            "PriceAmount",
            price_text(line.price, doc.decimals),
            currencyID=doc.currency,
        )
