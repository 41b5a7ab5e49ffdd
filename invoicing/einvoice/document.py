"""One issued invoice or credit note as EN 16931 sees it, read from the frozen snapshot alone.

Both syntaxes (UBL in `ubl.py`, CII in `cii.py`) are written from the `EDocument` built here,
so they can never say different things, and neither can disagree with the PDF: the amounts are
the stored, rounded line nets and `invoicing.totals.compute` over them, as the PDF prints them.

Rules applied here once for both syntaxes:

- Amounts are written with the currency's minor unit. EN 16931 allows at most two decimals
  (BR-DEC-*), so a currency with three (KWD, BHD, …) gets no e-invoice at all: rounding would make
  the e-invoice disagree with the PDF and the exports. `EInvoiceUnavailable` says so; the PDF
  stays the legal invoice.
- A credit note's lines are stored negative; both syntaxes want the credit note's amounts
  positive (the document type says it is a credit), so every amount of a credit note is negated.
  A negative line left after that (an invoice line with a negative price) keeps a positive price
  and gets a negative quantity instead (BR-27: the price is never negative).
- A line's net is quantity * price - allowances (Peppol R120): a discount is a line allowance
  (reason code 95), and what a prepurchase agreement paid is another (reason code 64, "special
  agreement"), so a line paid in full from an agreement has net 0 and still adds up.
- The VAT breakdown has one entry per (category, rate), as BR-S-08 … BR-O-08 require; bands of
  the same category and rate under different tax codes are merged (their taxes added: each was
  rounded on its own, which BR-S-09's one-unit tolerance allows).
- The invoicing period (BT-73/74) spans the lines' dates; the actual delivery date (BT-72) is
  the last of them (the last event delivered), or, for a document without dated lines (a
  deposit: an advance has no delivery), its issue date, the tax point of an advance; an
  intra-community supply names the country delivered to (BR-IC-11, BR-IC-12).
- Category O ("not subject to VAT") carries no rate, and an invoice with it carries no VAT
  identifiers (BR-O-02 … BR-O-05); the seller is then identified by its registration number, or
  by its VAT number as a plain identifier (BR-CO-26).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from accounts.platform.money import minor_unit
from accounts.platform.tax import VatCategory, normalise_vat_id
from invoicing import totals as money
from invoicing.models import LineKind

CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
CII_GUIDELINE = "urn:cen.eu:en16931:2017"
INVOICE_TYPE = "380"
CREDIT_NOTE_TYPE = "381"
UNIT_CODE = "C62"  # "one": places, items and fees are counted in units
MAX_DECIMALS = 2  # EN 16931 BR-DEC-*

# The legal wording of a category whose VAT breakdown needs an exemption reason (BR-AE-10,
# BR-IC-10, BR-G-10, BR-O-10, BR-E-10), as VATEX code and text, when the line has none.
DEFAULT_EXEMPTIONS = {
    VatCategory.REVERSE_CHARGE: ("VATEX-EU-AE", "Reverse charge"),
    VatCategory.INTRA_COMMUNITY: ("VATEX-EU-IC", "Intra-Community supply"),
    VatCategory.EXPORT: ("VATEX-EU-G", "Export outside the EU"),
    VatCategory.OUTSIDE_SCOPE: ("VATEX-EU-O", "Not subject to VAT"),
    VatCategory.EXEMPT: ("", "Exempt from VAT"),
}
NEEDS_EXEMPTION = frozenset(DEFAULT_EXEMPTIONS)
# Categories under which both parties' VAT ids are part of the invoice (BR-AE-02, BR-IC-02).
NEEDS_BUYER_VAT_ID = frozenset({VatCategory.REVERSE_CHARGE, VatCategory.INTRA_COMMUNITY})
DISCOUNT_REASON_CODE = "95"  # UNCL 5189: discount
PREPAID_REASON_CODE = "64"  # UNCL 5189: special agreement


# Characters XML 1.0 cannot carry (controls other than tab, newline and carriage return; the two
# non-characters). A name pasted from a spreadsheet can hold one (Excel's in-cell line break is
# U+000B): it is dropped from the XML rather than making the invoice's e-invoice, and with it
# its PDF, impossible to write for good (the text is frozen with the invoice).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(value) -> str:
    """`value` as text an XML document can hold."""
    return _NOT_XML.sub("", str(value))


class EInvoiceUnavailable(Exception):
    """This document cannot be written as an EN 16931 e-invoice; `str()` says why, for a user."""


@dataclass(frozen=True)
class Party:
    name: str
    street_lines: tuple[str, ...] = ()
    postal_code: str = ""
    city: str = ""
    country_area: str = ""
    country: str = ""
    vat_id: str = ""
    registration_number: str = ""
    register: str = ""
    identifier: str = ""  # BT-29 / BT-46: an id of the party without a scheme
    contact_name: str = ""
    phone: str = ""
    email: str = ""
    endpoint_scheme: str = ""
    endpoint_id: str = ""


@dataclass(frozen=True)
class Allowance:
    amount: Decimal
    reason: str
    reason_code: str
    base: Decimal | None = None
    percent: Decimal | None = None


@dataclass(frozen=True)
class Line:
    id: str
    name: str
    description: str
    quantity: Decimal
    price: Decimal
    net: Decimal
    category: str
    percent: Decimal | None  # None for category O
    product_code: str = ""
    period: datetime.date | None = None
    allowances: tuple[Allowance, ...] = ()


@dataclass(frozen=True)
class Band:
    category: str
    percent: Decimal | None
    taxable: Decimal
    tax: Decimal
    exemption_code: str = ""
    exemption_reason: str = ""


@dataclass(frozen=True)
class Payment:
    means_code: str  # UNCL 4461: 58 SEPA credit transfer, 30 credit transfer
    account_id: str  # IBAN or local account number
    account_name: str = ""
    provider_id: str = ""  # BIC, or the sort code / routing number
    is_iban: bool = False


@dataclass(frozen=True)
class EDocument:
    number: str
    is_credit_note: bool
    type_code: str
    issue_date: datetime.date
    due_date: datetime.date | None
    currency: str
    decimals: int
    buyer_reference: str
    order_reference: str
    project_code: str
    note: str
    payment_terms: str
    seller: Party
    buyer: Party
    payment: Payment | None
    lines: tuple[Line, ...]
    bands: tuple[Band, ...]
    line_total: Decimal
    tax_total: Decimal
    gross_total: Decimal
    credited_number: str = ""
    credited_date: datetime.date | None = None
    period_start: datetime.date | None = None
    period_end: datetime.date | None = None
    delivery_date: datetime.date | None = None
    deliver_to_country: str = ""
    categories: frozenset = field(default_factory=frozenset)

    def amount(self, value: Decimal) -> str:
        """An amount as the e-invoice writes it: the currency's decimals, a dot, no sign noise."""
        quantum = Decimal(1).scaleb(-self.decimals)
        return format(Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP), "f")

    @property
    def payable(self) -> Decimal:
        return self.gross_total


def check_supported(invoice) -> None:
    """Raise EInvoiceUnavailable when `invoice` cannot have an EN 16931 e-invoice."""
    if invoice.is_draft:
        raise EInvoiceUnavailable("A draft has no e-invoice: issue it first.")
    if minor_unit(invoice.currency) > MAX_DECIMALS:
        raise EInvoiceUnavailable(
            f"EN 16931 e-invoices carry amounts with at most two decimals and {invoice.currency} "
            "has three, so this invoice has no e-invoice: send the PDF, which is the legal "
            "invoice."
        )


def is_supported(invoice) -> bool:
    """Whether `invoice` can have an e-invoice: issued, in a currency of at most two decimals,
    with lines and the seller's country in its snapshot. Cheap (at most one query), so that a
    page or a run of thousands of e-mails can ask it without building each document."""
    try:
        check_supported(invoice)
    except EInvoiceUnavailable:
        return False
    details = invoice.seller_details or {}
    country = details.get("country", "") if details else invoice.tenant.country
    return bool(country) and invoice.lines.exists()


def build(invoice, lines=None) -> EDocument:
    """The EN 16931 content of the issued `invoice` (its lines may be passed in, as stored)."""
    check_supported(invoice)
    lines = list(lines if lines is not None else invoice.lines.all())
    if not lines:  # BR-16: an invoice has at least one line
        raise EInvoiceUnavailable(f"{invoice} has no lines, so it has no e-invoice.")
    currency = invoice.currency
    sign = Decimal(-1) if invoice.is_credit_note else Decimal(1)
    result = money.compute(lines, currency)
    categories = frozenset(_category(line) for line in lines)
    outside_scope = VatCategory.OUTSIDE_SCOPE in categories
    seller = _seller(invoice, outside_scope)
    buyer = _buyer(invoice, seller.country, outside_scope, categories)
    if not seller.country:  # BR-09; the buyer's falls back to the seller's (BR-11)
        raise EInvoiceUnavailable(
            f"{invoice} has no e-invoice: the company's country was not set when it was issued "
            "(EN 16931 requires it). Set it in the company settings for the next invoices."
        )
    bands = _bands(result.bands, sign)
    e_lines = tuple(
        _line(line, position, sign, currency) for position, line in enumerate(lines, start=1)
    )
    dates = [line.event_date for line in lines if line.event_date]
    credited = invoice.credits if invoice.is_credit_note and invoice.credits_id else None
    terms = _payment_terms(invoice)
    return EDocument(
        number=invoice.number,
        is_credit_note=invoice.is_credit_note,
        type_code=CREDIT_NOTE_TYPE if invoice.is_credit_note else INVOICE_TYPE,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        currency=currency,
        decimals=minor_unit(currency),
        buyer_reference=invoice.po_reference or invoice.project_code or invoice.number,
        order_reference=invoice.po_reference,
        project_code=invoice.project_code,
        note=_note(invoice),
        payment_terms=terms,
        seller=seller,
        buyer=buyer,
        payment=_payment(invoice.payment_details or {}, currency),
        lines=e_lines,
        bands=bands,
        line_total=result.net * sign,
        tax_total=result.tax * sign,
        gross_total=result.gross * sign,
        credited_number=credited.number if credited else "",
        credited_date=credited.issue_date if credited else None,
        period_start=min(dates) if dates else None,
        period_end=max(dates) if dates else None,
        delivery_date=max(dates) if dates else invoice.issue_date,
        deliver_to_country=buyer.country if VatCategory.INTRA_COMMUNITY in categories else "",
        categories=categories,
    )


def _category(line) -> str:
    return getattr(line, "tax_category", "") or VatCategory.STANDARD


def price_text(value: Decimal, decimals: int) -> str:
    """A unit price keeps its own decimals (BT-146 has no limit), at least the currency's."""
    text = format(value.normalize(), "f")
    places = len(text.split(".", 1)[1]) if "." in text else 0
    return format(value.quantize(Decimal(1).scaleb(-max(places, decimals))), "f")


def _text_lines(text: str) -> list[str]:
    return [part.strip() for part in (text or "").splitlines() if part.strip()]


def _endpoint(details: dict, fallback_email: str) -> tuple[str, str]:
    endpoint = details.get("endpoint") or {}
    scheme, value = endpoint.get("scheme", ""), endpoint.get("id", "")
    if scheme and value:
        return str(scheme), str(value)
    if fallback_email:
        return "EM", fallback_email
    return "", ""


def _seller(invoice, outside_scope: bool) -> Party:
    details = invoice.seller_details or {}
    if details:
        country = details.get("country", "")
        street = tuple(details.get("street_lines") or ())
        postal_code, city = details.get("postal_code", ""), details.get("city", "")
        area = details.get("country_area", "")
        vat_id = details.get("vat_id", "") or invoice.seller_vat_number
    else:  # issued before the structured snapshot: the printed address, the company's country
        country = invoice.tenant.country
        street, postal_code, city, area = tuple(_text_lines(invoice.seller_address)), "", "", ""
        vat_id = invoice.seller_vat_number
    email = details.get("email", "")
    scheme, endpoint_id = _endpoint(details, email)
    vat_id = normalise_vat_id(vat_id, country) if vat_id else ""
    registration = details.get("registration_number", "")
    identifier = ""
    if outside_scope:
        # BR-O-02 forbids the VAT id; BR-CO-26 wants the seller identified all the same.
        identifier = "" if registration else vat_id
        vat_id = ""
    return Party(
        name=details.get("name") or invoice.seller_name,
        street_lines=street,
        postal_code=postal_code,
        city=city,
        country_area=area,
        country=country or "",
        vat_id=vat_id,
        registration_number=registration,
        register=details.get("register", ""),
        identifier=identifier,
        contact_name=details.get("contact_name", ""),
        phone=details.get("phone", ""),
        email=email,
        endpoint_scheme=scheme,
        endpoint_id=endpoint_id,
    )


def _buyer(invoice, seller_country: str, outside_scope: bool, categories) -> Party:
    details = invoice.buyer_details or {}
    if details:
        country = details.get("country", "")
        street = tuple(details.get("street_lines") or ())
        postal_code, city = details.get("postal_code", ""), details.get("city", "")
        area = details.get("country_area", "")
        vat_id = details.get("vat_id", "") or invoice.billing_tax_id
    else:  # issued before the structured snapshot: the printed address ends with the country
        street = _text_lines(invoice.billing_address)
        country = ""
        if street and len(street[-1]) == 2 and street[-1].isalpha() and street[-1].isupper():
            country = street.pop()
        country = country or seller_country
        street, postal_code, city, area = tuple(street), "", "", ""
        vat_id = invoice.billing_tax_id
    email = details.get("email", "") or details.get("contact_email", "")
    scheme, endpoint_id = _endpoint(details, email)
    if vat_id:
        vat_id = normalise_vat_id(vat_id, country)
        if not vat_id[:2].isalpha():
            # BR-CO-09: a VAT id starts with its country's prefix. A tax id without one (a
            # non-EU number) is the buyer's identifier instead, unless the category needs it.
            vat_id = "" if not categories & NEEDS_BUYER_VAT_ID else vat_id
    account_number = details.get("account_number") or invoice.billing_account_number or ""
    return Party(
        name=details.get("name") or invoice.billing_name,
        street_lines=street,
        postal_code=postal_code,
        city=city,
        country_area=area,
        country=country or "",
        vat_id="" if outside_scope else vat_id,
        identifier=str(account_number),
        contact_name=details.get("contact_name", ""),
        email=details.get("contact_email", "") or details.get("email", ""),
        endpoint_scheme=scheme,
        endpoint_id=endpoint_id,
    )


def _payment(details: dict, currency: str) -> Payment | None:
    iban = "".join((details.get("iban") or "").split()).upper()
    holder = details.get("account_holder", "")
    if iban:
        return Payment(
            means_code="58" if currency == "EUR" else "30",
            account_id=iban,
            account_name=holder,
            provider_id=(details.get("bic") or "").strip().upper(),
            is_iban=True,
        )
    number = (details.get("account_number") or "").strip()
    if number:
        return Payment(
            means_code="30",
            account_id=number,
            account_name=holder,
            provider_id=(details.get("sort_code") or details.get("bic") or "").strip(),
        )
    return None


def _payment_terms(invoice) -> str:
    if invoice.is_credit_note:
        return f"Credit for invoice {invoice.credits.number}." if invoice.credits_id else ""
    if invoice.payment_terms_days:
        text = f"Payment within {invoice.payment_terms_days} days"
        if invoice.due_date:
            text += f", by {invoice.due_date.isoformat()}"
        return text + "."
    if invoice.due_date:
        return f"Payment by {invoice.due_date.isoformat()}."
    return ""


def _note(invoice) -> str:
    """BT-22, one note (Peppol R002): the external notes and the VAT treatments' legal notes."""
    parts = [part.strip() for part in (invoice.external_notes, invoice.tax_notes) if part.strip()]
    return "\n".join(parts)


def _signed(value, sign) -> Decimal:
    return Decimal(value) * sign


def _line(line, position: int, sign: Decimal, currency: str) -> Line:
    decimals = minor_unit(currency)
    quantum = Decimal(1).scaleb(-decimals)
    quantity = Decimal(line.quantity)
    price = _signed(line.unit_price, sign)
    net = _signed(line.net, sign)
    prepaid = _signed(line.prepaid_value or 0, sign)
    if price < 0:  # BR-27: the price is never negative; the quantity carries the sign
        price, quantity = -price, -quantity
    base = (quantity * price).quantize(quantum, rounding=ROUND_HALF_UP)
    allowances = []
    discount = base - net - prepaid
    percent = Decimal(line.discount_percent or 0)
    if discount:
        reason = f"Discount {percent.normalize():f} %" if percent else "Discount"
        if Decimal(getattr(line, "share", 1)) != 1:  # a payer's share of a row funders split
            reason = f"{reason}, and the other payers' share" if percent else "Other payers' share"
        allowances.append(
            Allowance(amount=discount, reason=reason, reason_code=DISCOUNT_REASON_CODE)
        )
    if prepaid:
        allowances.append(
            Allowance(
                amount=prepaid,
                reason="Paid from a prepurchase agreement",
                reason_code=PREPAID_REASON_CODE,
            )
        )
    category = _category(line)
    name = _item_name(line)
    description = line.description if line.description != name else ""
    return Line(
        id=str(position),
        name=name,
        description=description,
        quantity=quantity,
        price=price,
        net=net,
        category=category,
        percent=None if category == VatCategory.OUTSIDE_SCOPE else Decimal(line.tax_percent),
        product_code=line.product_code,
        period=line.event_date,
        allowances=tuple(allowances),
    )


def _item_name(line) -> str:
    """BT-153: short; the full text goes to the description (BT-154)."""
    if line.kind == LineKind.HANDLING_FEE:
        return "Handling fee"
    if line.kind == LineKind.DEPOSIT:
        return "Deposit"
    if line.kind == LineKind.DEPOSIT_DEDUCTION:  # negative: a positive price, quantity -1
        return "Deposit deducted"
    title = line.event_title or line.description.split("\n", 1)[0]
    return title[:100] or line.product_code or "Item"


def _bands(bands, sign: Decimal) -> tuple[Band, ...]:
    merged: dict[tuple[str, Decimal | None], dict] = {}
    for band in bands:
        category, code, reason = _band_category(band)
        percent = None if category == VatCategory.OUTSIDE_SCOPE else Decimal(band.percent)
        key = (category, percent)
        entry = merged.setdefault(
            key, {"taxable": Decimal(0), "tax": Decimal(0), "code": code, "reason": reason}
        )
        entry["taxable"] += _signed(band.net, sign)
        entry["tax"] += _signed(band.tax, sign)
    result = []
    for (category, percent), entry in merged.items():
        code, reason = entry["code"], entry["reason"]
        if category in NEEDS_EXEMPTION:
            default_code, default_reason = DEFAULT_EXEMPTIONS[category]
            code, reason = code or default_code, reason or default_reason
        else:  # BR-S-10, BR-Z-10: no exemption reason for a taxed or zero-rated breakdown
            code, reason = "", ""
        result.append(
            Band(
                category=category,
                percent=percent,
                taxable=entry["taxable"],
                tax=entry["tax"],
                exemption_code=code,
                exemption_reason=reason,
            )
        )
    return tuple(result)


def _band_category(band) -> tuple[str, str, str]:
    """A band's category and exemption reason (`invoicing.totals` keys bands by category)."""
    return (
        str(band.category),
        band.exemption_reason_code or "",
        band.exemption_reason or "",
    )
