"""The accounting systems' files, one exporter each, on the platform's exporter base.

Every figure is the frozen one: a line's net and its share of its rate's tax (set at issue), the
invoice's stored exchange rate, the snapshot's names. Text is formula-safe and numbers are plain
(the one writer). Which published layout each follows is said in README.md ("Accounting exports").

    Xero        Sales invoice import template (SalesInvoiceTemplate.csv) and its credit-note twin
                (CreditNoteNumber, CreditNoteDate; no DueDate), UK dates (DD/MM/YYYY), amounts
                tax exclusive; a credit note's amounts positive in the credit-note file
    QuickBooks  Online's invoice import (InvoiceNo … Currency) and credit-note import
                (CreditNoteNo, CreditNoteDate), DD/MM/YYYY; credit notes positive
    Sage        Sage 50 audit trail transactions (Type … User Name): SI, SC with positive
                amounts; payments as SA (receipt on account: Sage imports no SR), reversals SP
    DATEV       EXTF Buchungsstapel (format 700, category 21, version 13): the header line,
                the column header row and one booking per line; credits as H, Windows-1252,
                ";", decimal comma, Belegdatum DDMM
"""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from accounts.platform.exporting import CsvDialect, Exporter, date, money, number, text
from invoicing.models import InvoiceKind, PaymentReversal
from reporting.accounting.mapping import Mapping, batch_lines, batch_payments
from reporting.accounting.models import AccountingSystem
from reporting.accounting.systems import PAYMENT_TAX_CODE

UK_DATES = CsvDialect(date_format="%d/%m/%Y")
DATEV_DIALECT = CsvDialect(
    delimiter=";",
    decimal_point=",",
    date_format="%d%m",
    encoding="cp1252",
    encoding_errors="replace",
    quote_text=True,
)
SIX = Decimal("0.000001")


def _lines(batch, documents: str):
    lines = batch_lines(batch).select_related("invoice", "invoice__credits")
    if documents == "invoices":
        lines = lines.filter(invoice__kind=InvoiceKind.INVOICE)
    elif documents == "credit_notes":
        lines = lines.filter(invoice__kind=InvoiceKind.CREDIT_NOTE)
    return lines.order_by(
        "invoice__issue_date", "invoice__issued_at", "invoice_id", "position", "pk"
    )


def _tax(line) -> Decimal:
    return line.tax_amount if line.tax_amount is not None else Decimal("0")


def _address(invoice) -> list[str]:
    details = invoice.buyer_details or {}
    street = list(details.get("street_lines") or [])[:4]
    return street + [""] * (4 - len(street))


def _inverse_rate(invoice_rate) -> Decimal | None:
    """Foreign currency per unit of the base currency (Sage's and DATEV's quotation) from the
    stored base-per-unit rate."""
    if not invoice_rate:
        return None
    return (Decimal(1) / Decimal(invoice_rate)).quantize(SIX, ROUND_HALF_UP)


class BatchExporter(Exporter):
    """A batch's file for one system: `documents` says which of its documents."""

    system = ""

    def __init__(self, batch, *, documents: str = "all", file_name: str = ""):
        self.batch, self.documents = batch, documents
        self.mapping = Mapping.of(self.system)
        if file_name:
            self.file_name = file_name

    def lines(self):
        return _lines(self.batch, self.documents)

    def user_name(self) -> str:
        user = self.batch.created_by
        return (user.email if user else "")[:32]


# --- Xero --------------------------------------------------------------------------------------


class XeroExporter(BatchExporter):
    system = AccountingSystem.XERO
    dialect = UK_DATES

    def __init__(self, batch, *, documents="invoices", file_name=""):
        super().__init__(batch, documents=documents, file_name=file_name)
        credit = documents == "credit_notes"
        number_header, date_header = (
            ("*CreditNoteNumber", "*CreditNoteDate")
            if credit
            else ("*InvoiceNumber", "*InvoiceDate")
        )
        self.columns = [
            text("contact", "*ContactName"),
            text("email", "EmailAddress"),
            *(text(f"po{n}", f"POAddressLine{n}") for n in range(1, 5)),
            text("city", "POCity"),
            text("region", "PORegion"),
            text("postal_code", "POPostalCode"),
            text("country", "POCountry"),
            text("number", number_header),
            text("reference", "Reference"),
            date("date", date_header),
            *([] if credit else [date("due_date", "*DueDate")]),
            text("item", "InventoryItemCode"),
            text("description", "*Description"),
            number("quantity", "*Quantity"),
            money("unit_amount", "*UnitAmount", decimals=None),
            number("discount", "Discount"),
            text("account", "*AccountCode"),
            text("tax_type", "*TaxType"),
            text("tracking_name_1", "TrackingName1"),
            text("tracking_option_1", "TrackingOption1"),
            text("tracking_name_2", "TrackingName2"),
            text("tracking_option_2", "TrackingOption2"),
            text("currency", "Currency"),
            text("branding", "BrandingTheme"),
        ]

    def rows(self):
        credit = self.documents == "credit_notes"
        sign = Decimal(-1) if credit else Decimal(1)
        for line in self.lines():
            invoice = line.invoice
            details = invoice.buyer_details or {}
            reference = (
                invoice.credits.number if credit and invoice.credits_id else invoice.po_reference
            )
            yield [
                invoice.billing_name,
                details.get("email", ""),
                *_address(invoice),
                details.get("city", ""),
                details.get("country_area", ""),
                details.get("postal_code", ""),
                details.get("country", ""),
                invoice.number,
                reference,
                invoice.issue_date,
                *([] if credit else [invoice.due_date]),
                "",
                line.description,
                line.quantity,
                sign * line.unit_price,
                line.discount_percent or None,
                self.mapping.revenue(line.product_code),
                self.mapping.tax(line.tax_code, line.tax_category, line.tax_percent),
                "Project" if invoice.project_code else "",
                invoice.project_code,
                "",
                "",
                invoice.currency,
                "",
            ]


# --- QuickBooks Online ---------------------------------------------------------------------------


class QuickBooksExporter(BatchExporter):
    system = AccountingSystem.QBO
    dialect = UK_DATES

    def __init__(self, batch, *, documents="invoices", file_name=""):
        super().__init__(batch, documents=documents, file_name=file_name)
        credit = documents == "credit_notes"
        self.columns = [
            text("number", "CreditNoteNo" if credit else "InvoiceNo"),
            text("customer", "Customer"),
            date("date", "CreditNoteDate" if credit else "InvoiceDate"),
            *([] if credit else [date("due_date", "DueDate"), text("terms", "Terms")]),
            text("location", "Location"),
            text("memo", "Memo"),
            text("item", "Item(Product/Service)"),
            text("description", "ItemDescription"),
            number("quantity", "ItemQuantity"),
            money("rate", "ItemRate"),
            money("amount", "ItemAmount", decimals=2),
            text("tax_code", "ItemTaxCode"),
            money("tax_amount", "ItemTaxAmount", decimals=2),
            text("currency", "Currency"),
        ]

    def rows(self):
        credit = self.documents == "credit_notes"
        sign = Decimal(-1) if credit else Decimal(1)
        for line in self.lines():
            invoice = line.invoice
            net = sign * line.net
            # QuickBooks has no line discount: the rate is what a unit was charged.
            rate = sign * line.unit_price
            if line.discount_percent and line.quantity:
                rate = (net / line.quantity).quantize(Decimal("0.00001"), ROUND_HALF_UP)
            terms = f"Net {invoice.payment_terms_days}" if invoice.payment_terms_days else ""
            memo = invoice.po_reference
            if credit and invoice.credits_id:
                memo = f"Credit for {invoice.credits.number}"
            yield [
                invoice.number,
                invoice.billing_name,
                invoice.issue_date,
                *([] if credit else [invoice.due_date, terms]),
                "",
                memo,
                self.mapping.revenue(line.product_code),
                line.description,
                line.quantity,
                rate,
                net,
                self.mapping.tax(line.tax_code, line.tax_category, line.tax_percent),
                sign * _tax(line),
                invoice.currency,
            ]


# --- Sage 50 / Business Cloud ------------------------------------------------------------------

SAGE_COLUMNS = [
    text("type", "Type"),
    text("account", "Account Reference"),
    text("nominal", "Nominal A/C Ref"),
    text("department", "Department"),
    date("date", "Date"),
    text("reference", "Reference"),
    text("details", "Details"),
    money("net", "Net Amount", decimals=2),
    text("tax_code", "Tax Code"),
    money("tax", "Tax Amount", decimals=2),
    number("rate", "Exchange Rate"),
    text("extra_reference", "Extra Reference"),
    text("user", "User Name"),
]


class SageExporter(BatchExporter):
    """SI for an invoice's lines, SC for a credit note's (amounts positive: the type says which
    way); one row per line, grouped by Sage under its reference."""

    system = AccountingSystem.SAGE
    dialect = UK_DATES
    columns = SAGE_COLUMNS

    def rows(self):
        user, base = self.user_name(), self.batch.tenant.base_currency
        for line in self.lines():
            invoice = line.invoice
            credit = invoice.kind == InvoiceKind.CREDIT_NOTE
            sign = Decimal(-1) if credit else Decimal(1)
            yield [
                "SC" if credit else "SI",
                str(invoice.billing_account_number or ""),
                self.mapping.revenue(line.product_code),
                "",
                invoice.issue_date,
                invoice.number,
                line.description[:60],
                sign * line.net,
                self.mapping.tax(line.tax_code, line.tax_category, line.tax_percent),
                sign * _tax(line),
                None if invoice.currency == base else _inverse_rate(invoice.exchange_rate),
                invoice.po_reference[:30],
                user,
            ]


def _payment_entries(batch):
    """(payment, reversal or None) of the batch, in date order."""
    entries = batch.payment_entries.select_related("payment", "payment__billing_account")
    reversals = {
        reversal.payment_id: reversal
        for reversal in PaymentReversal.objects.filter(payment__in=batch_payments(batch))
    }
    found = []
    for entry in entries:
        reversal = reversals.get(entry.payment_id) if entry.reversed else None
        day = reversal.date if reversal else entry.payment.date
        found.append((day, entry.payment_id, entry.reversed, entry.payment, reversal))
    found.sort(key=lambda row: row[:3])
    return [(payment, reversal) for *_, payment, reversal in found]


def _payment_reference(payment) -> str:
    return payment.reference or f"PAY-{payment.pk}"


class SagePaymentsExporter(BatchExporter):
    """Payments as SA (a receipt on account, allocated in Sage: Sage 50 imports no SR), their
    reversals as SP (a sales refund)."""

    system = AccountingSystem.SAGE
    dialect = UK_DATES
    columns = SAGE_COLUMNS

    def rows(self):
        from reporting.accounting.mapping import accounting_settings

        settings = accounting_settings(self.batch.tenant)
        user, base = self.user_name(), self.batch.tenant.base_currency
        for payment, reversal in _payment_entries(self.batch):
            details = f"Payment #{payment.pk} ({payment.get_method_display().lower()})"
            if reversal:
                details = f"Reversal of payment #{payment.pk}: {reversal.reason}"
            yield [
                "SP" if reversal else "SA",
                str(payment.billing_account.number),
                settings.sage_bank_account,
                "",
                reversal.date if reversal else payment.date,
                _payment_reference(payment)[:30],
                details[:60],
                payment.amount,
                PAYMENT_TAX_CODE[AccountingSystem.SAGE],
                Decimal("0"),
                None if payment.currency == base else _inverse_rate(payment.exchange_rate),
                "",
                user,
            ]


# --- DATEV -------------------------------------------------------------------------------------

# The first 14 of the Buchungsstapel's columns (format version 13), in its order and spelling;
# the later ones are left out (DATEV reads a shorter row as empty fields).
DATEV_COLUMNS = [
    money("amount", "Umsatz (ohne Soll/Haben-Kz)", decimals=2),
    text("debit_credit", "Soll/Haben-Kennzeichen"),
    text("currency", "WKZ Umsatz"),
    number("rate", "Kurs", decimals=6),
    money("base_amount", "Basis-Umsatz", decimals=2),
    text("base_currency", "WKZ Basis-Umsatz"),
    number("account", "Konto"),
    number("contra_account", "Gegenkonto (ohne BU-Schlüssel)"),
    text("tax_key", "BU-Schlüssel"),
    date("date", "Belegdatum"),
    text("document", "Belegfeld 1"),
    text("document_2", "Belegfeld 2"),
    money("discount", "Skonto", decimals=2),
    text("text", "Buchungstext"),
]


def fiscal_year_start(day: datetime.date, month: int) -> datetime.date:
    start = day.replace(month=month, day=1)
    return start if start <= day else start.replace(year=start.year - 1)


class DatevExporter(BatchExporter):
    """One booking per document line: the line's gross on the billing account's debtor account
    against the product's revenue account, with the tax code's BU-Schlüssel; S when it is owed
    to us (an invoice's line), H when it is credited. Foreign currency: the amount in its
    currency, DATEV's Kurs (units per base unit, from the invoice's stored rate) and the base
    amount."""

    system = AccountingSystem.DATEV
    dialect = DATEV_DIALECT
    columns = DATEV_COLUMNS
    label = "Rechnungsausgang"

    def __init__(self, batch, *, settings, documents="all", file_name="", fiscal_year=None):
        super().__init__(batch, documents=documents, file_name=file_name)
        self.settings, self.fiscal_year = settings, fiscal_year

    def in_year(self, day) -> bool:
        """Whether a booking of `day` belongs in this file (a Buchungsstapel holds one fiscal
        year: a batch spanning two makes one file per fiscal year, named by its first year)."""
        if self.fiscal_year is None:
            return True
        return fiscal_year_start(day, self.settings.fiscal_year_start_month).year == (
            self.fiscal_year
        )

    def all_dates(self) -> set[datetime.date]:
        """The days of the batch's bookings of this kind, whatever their fiscal year."""
        return set(self.lines().values_list("invoice__issue_date", flat=True))

    def bookings(self):
        """(date, row) of every booking of the file's fiscal year, in the file's order."""
        return ((day, row) for day, row in self.all_bookings() if self.in_year(day))

    def all_bookings(self):
        settings, base = self.settings, self.batch.tenant.base_currency
        for line in self.lines():
            invoice = line.invoice
            gross = line.net + _tax(line)
            foreign = invoice.currency != base and invoice.exchange_rate
            yield (
                invoice.issue_date,
                [
                    abs(gross),
                    "S" if gross >= 0 else "H",
                    invoice.currency,
                    _inverse_rate(invoice.exchange_rate) if foreign else None,
                    abs(gross * invoice.exchange_rate) if foreign else None,
                    base if foreign else "",
                    settings.datev_debtor_start + (invoice.billing_account_number or 0),
                    int(self.mapping.revenue(line.product_code)),
                    self.mapping.tax(line.tax_code, line.tax_category, line.tax_percent),
                    invoice.issue_date,
                    invoice.number[:36],
                    "",
                    None,
                    f"{invoice.billing_name} {line.description}"[:60],
                ],
            )

    def rows(self):
        return (row for _, row in self.bookings())

    def dates(self) -> list[datetime.date]:
        return [day for day, _ in self.bookings()]

    def preamble(self):
        settings = self.settings
        dates = self.dates() or [timezone.localtime(self.batch.created_at).date()]
        first, last = min(dates), max(dates)
        created = timezone.localtime(self.batch.created_at)
        stamp = int(created.strftime("%Y%m%d%H%M%S") + f"{created.microsecond // 1000:03d}")
        start = fiscal_year_start(first, settings.fiscal_year_start_month)

        def day(value):
            return int(value.strftime("%Y%m%d"))

        return [
            [
                "EXTF",
                700,
                21,
                "Buchungsstapel",
                13,
                stamp,
                None,
                "RE",
                self.user_name(),
                "",
                settings.datev_consultant_number,
                settings.datev_client_number,
                day(start),
                settings.datev_account_length,
                day(first),
                day(last),
                f"{self.label} Batch {self.batch.number}"[:30],
                "",
                1,
                0,
                0,
                self.batch.tenant.base_currency,
                None,
                "",
                None,
                None,
                "",
                None,
                None,
                "",
                "",
            ]
        ]


class DatevPaymentsExporter(DatevExporter):
    """A payment: its amount on the bank account (S) against the debtor account; a reversal H."""

    label = "Zahlungseingang"

    def all_dates(self) -> set[datetime.date]:
        return {
            reversal.date if reversal else payment.date
            for payment, reversal in _payment_entries(self.batch)
        }

    def all_bookings(self):
        settings, base = self.settings, self.batch.tenant.base_currency
        for payment, reversal in _payment_entries(self.batch):
            day = reversal.date if reversal else payment.date
            foreign = payment.currency != base
            text_ = f"Payment #{payment.pk} {payment.billing_account.name}"
            if reversal:
                text_ = f"Reversal #{payment.pk}: {reversal.reason}"
            yield (
                day,
                [
                    payment.amount,
                    "H" if reversal else "S",
                    payment.currency,
                    _inverse_rate(payment.exchange_rate) if foreign else None,
                    payment.amount * payment.exchange_rate if foreign else None,
                    base if foreign else "",
                    int(settings.datev_bank_account),
                    settings.datev_debtor_start + payment.billing_account.number,
                    "",
                    day,
                    _payment_reference(payment)[:36],
                    "",
                    None,
                    text_[:60],
                ],
            )


def fiscal_years_of(exporter: DatevExporter) -> list[int]:
    """The fiscal years (by the calendar year they start in) of the exporter's bookings; the
    batch's own year when it has none."""
    month = exporter.settings.fiscal_year_start_month
    days = exporter.all_dates() or {timezone.localtime(exporter.batch.created_at).date()}
    return sorted({fiscal_year_start(day, month).year for day in days})
