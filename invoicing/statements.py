"""Account statements (issue 16, part 2): a billing account's invoices, credit notes, payments
and reversals of a period, with the opening balance, a running balance and the closing balance,
one statement per currency.

The balance is what the account owes: issued invoices (gross) less credit notes less payments
that count (a reversal puts its payment's amount back, on the day it was reversed). It is the
same figure as `payment_selectors.account_balance(...).balance` on the period's last day (open
invoices less what payments and credits have left unallocated), and what is overdue at the end
is read from `payment_selectors.open_invoices` as of that day: nothing here computes an
outstanding amount of its own. Seven queries whatever the account's size.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, Sum

from accounts.platform.exporting import Exporter, date, money, text
from accounts.platform.money import round_money
from invoicing.models import Invoice, InvoiceKind, InvoiceStatus, Payment, PaymentReversal
from invoicing.payment_selectors import account_balance, open_invoices

ISSUED = Q(status__in=[InvoiceStatus.ISSUED, InvoiceStatus.CANCELLED])


@dataclass
class StatementRow:
    date: datetime.date
    kind: str  # "Invoice", "Credit note", "Payment", "Payment reversed"
    reference: str
    description: str
    amount: Decimal  # + what the account owes more, − what it paid or was credited
    url: str = ""
    due_date: datetime.date | None = None
    balance: Decimal = Decimal(0)

    @property
    def debit(self) -> Decimal | None:
        return self.amount if self.amount > 0 else None

    @property
    def credit(self) -> Decimal | None:
        return -self.amount if self.amount < 0 else None


@dataclass
class Statement:
    account: object
    currency: str
    date_from: datetime.date
    date_to: datetime.date
    opening: Decimal = Decimal(0)
    rows: list[StatementRow] = field(default_factory=list)
    overdue_invoices: list = field(default_factory=list)

    @property
    def closing(self) -> Decimal:
        return self.rows[-1].balance if self.rows else self.opening

    @property
    def overdue(self) -> Decimal:
        return sum((invoice.outstanding for invoice in self.overdue_invoices), Decimal(0))


# The order of a day's rows: documents before the money that settles them.
_ORDER = {"Invoice": 0, "Credit note": 1, "Payment": 2, "Payment reversed": 3}


def account_statements(
    account, *, date_from: datetime.date, date_to: datetime.date
) -> list[Statement]:
    """The billing account's statements of the period (both days included), one per currency
    it has figures in, in currency order."""
    statements: dict[str, Statement] = {}

    def of(currency) -> Statement:
        return statements.setdefault(currency, Statement(account, currency, date_from, date_to))

    documents = Invoice.objects.filter(ISSUED, billing_account=account)
    # Opening: documents before the period, less payments before it not reversed before it.
    for currency, total in (
        documents.filter(issue_date__lt=date_from)
        .values_list("currency")
        .annotate(total=Sum("gross_total"))
        .order_by()
    ):
        of(currency).opening += Decimal(total or 0)
    payments = Payment.objects.filter(billing_account=account)
    for currency, total in (
        payments.filter(date__lt=date_from)
        .exclude(reversal__date__lt=date_from)
        .values_list("currency")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        of(currency).opening -= Decimal(total or 0)
    rows: dict[str, list[StatementRow]] = defaultdict(list)
    for invoice in documents.filter(issue_date__gte=date_from, issue_date__lte=date_to).only(
        "kind",
        "number",
        "issue_date",
        "due_date",
        "currency",
        "gross_total",
        "po_reference",
        "project_code",
        "tenant_id",
    ):
        credit = invoice.kind == InvoiceKind.CREDIT_NOTE
        rows[invoice.currency].append(
            StatementRow(
                date=invoice.issue_date,
                kind="Credit note" if credit else "Invoice",
                reference=invoice.number,
                description=" · ".join(
                    part
                    for part in (
                        invoice.project_code,
                        f"PO {invoice.po_reference}" if invoice.po_reference else "",
                    )
                    if part
                ),
                amount=Decimal(invoice.gross_total),
                url=invoice.get_absolute_url(),
                due_date=None if credit else invoice.due_date,
            )
        )
    for payment in payments.filter(date__gte=date_from, date__lte=date_to):
        rows[payment.currency].append(
            StatementRow(
                date=payment.date,
                kind="Payment",
                reference=payment.reference or f"#{payment.pk}",
                description=payment.get_method_display(),
                amount=-Decimal(payment.amount),
                url=payment.get_absolute_url(),
            )
        )
    for reversal in PaymentReversal.objects.filter(
        payment__billing_account=account, date__gte=date_from, date__lte=date_to
    ).select_related("payment"):
        payment = reversal.payment
        rows[payment.currency].append(
            StatementRow(
                date=reversal.date,
                kind="Payment reversed",
                reference=payment.reference or f"#{payment.pk}",
                description=reversal.reason,
                amount=Decimal(payment.amount),
                url=payment.get_absolute_url(),
            )
        )
    overdue = defaultdict(list)
    for invoice in open_invoices(billing_account=account, as_of=date_to).filter(
        due_date__lt=date_to
    ):
        invoice.outstanding = round_money(invoice.outstanding, invoice.currency)
        overdue[invoice.currency].append(invoice)
    for currency in set(rows) | set(overdue):
        of(currency)
    for currency, statement in statements.items():
        statement.opening = round_money(statement.opening, currency)
        balance = statement.opening
        for row in sorted(
            rows[currency], key=lambda row: (row.date, _ORDER[row.kind], row.reference)
        ):
            row.amount = round_money(row.amount, currency)
            balance += row.amount
            row.balance = balance
            statement.rows.append(row)
        statement.overdue_invoices = overdue[currency]
    return [statements[currency] for currency in sorted(statements)]


def closing_balances(account, *, as_of: datetime.date) -> dict[str, Decimal]:
    """What `account_balance` says the account owes on `as_of`, per currency: the figure a
    statement's closing balance must equal (tests hold them together)."""
    return {
        balance.currency: round_money(balance.balance, balance.currency)
        for balance in account_balance(account, as_of=as_of)
    }


class StatementExporter(Exporter):
    """Statements as CSV/XLSX: per currency, the opening balance, the rows with the running
    balance, the closing balance."""

    columns = [
        date("date"),
        text("type"),
        text("reference"),
        text("description"),
        date("due_date"),
        text("currency"),
        money("debit"),
        money("credit"),
        money("balance"),
    ]
    sheet_title = "Statement"

    def __init__(self, statements: list[Statement], *, file_name: str = "statement"):
        self.statements = statements
        self.file_name = file_name

    def rows(self):
        for statement in self.statements:
            currency = statement.currency
            yield [
                statement.date_from,
                "Opening balance",
                "",
                "",
                None,
                currency,
                None,
                None,
                statement.opening,
            ]
            yield from (
                [
                    row.date,
                    row.kind,
                    row.reference,
                    row.description,
                    row.due_date,
                    currency,
                    row.debit,
                    row.credit,
                    row.balance,
                ]
                for row in statement.rows
            )
            yield [
                statement.date_to,
                "Closing balance",
                "",
                "",
                None,
                currency,
                None,
                None,
                statement.closing,
            ]
