"""Reads of payments and allocations (issue 16, part 1): an invoice's outstanding amount and
payment state, the account balance, and exchange differences. Every page, list, filter, export
and the dashboard read them from here (DESIGN.md, "One vocabulary for money"):

- *allocated* to an invoice: the allocations that count (credit notes, and payments not
  reversed; `AllocationQuerySet.counting`);
- *outstanding*: an issued invoice's gross total less what is allocated to it (0 for drafts and
  credit notes);
- *state* (`InvoiceState`): draft and cancelled as the document's status says, *issued* for a
  credit note, and for an issued invoice *paid* (nothing outstanding), *overdue* (something
  outstanding after its due date), *partly paid* (something allocated, something outstanding)
  or *open*. `with_state` is the one definition, as an annotation;
- *unallocated*: what a payment (not reversed) or an issued credit note has not allocated yet,
  the account's balance beside its open invoices (`account_balance`).

Each takes an optional `as_of` day: the figures as they stood that day (allocations made by
then, payments not reversed by then), for statements and aged receivables.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Case,
    CharField,
    DecimalField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Round
from django.utils import timezone

from invoicing.models import (
    Allocation,
    Invoice,
    InvoiceKind,
    InvoiceState,
    InvoiceStatus,
    Payment,
)

MONEY = DecimalField(max_digits=16, decimal_places=3)
ZERO = Value(Decimal(0), output_field=MONEY)


def _money(expression) -> Round:
    """A money figure computed in SQL, rounded to the money columns' three decimals: exact on
    PostgreSQL already; on SQLite (floating-point arithmetic) it makes "nothing left" exactly
    zero, so that paid, outstanding and unallocated compare exactly."""
    return Round(expression, 3, output_field=MONEY)


class _CompiledOnce(Subquery):
    """A subquery written into its outer query several times (`with_state` reads `allocated`
    in `outstanding` and twice in `state`; Django inlines a copy at each reference): compiled
    once per outer query and its SQL reused, instead of once per copy (issue 18). The SQL sent
    is the same either way.

    Copies share `_sql_key` (they write the same SQL); a relabelled clone (other table aliases,
    so other SQL) gets its own."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._sql_key = object()

    def relabeled_clone(self, change_map):
        clone = super().relabeled_clone(change_map)
        clone._sql_key = object()
        return clone

    def as_sql(self, compiler, connection, *args, **kwargs):
        compiled = compiler.__dict__.setdefault("_compiled_subqueries", {})
        key = (self._sql_key, args, tuple(sorted(kwargs.items())))
        if key not in compiled:
            compiled[key] = super().as_sql(compiler, connection, *args, **kwargs)
        return compiled[key]


def _summed(allocations: QuerySet, key: str) -> Coalesce:
    """Σ amount of `allocations` whose `key` is the outer row, as a subquery (0 when none)."""
    total = (
        allocations.filter(**{key: OuterRef("pk")})
        .order_by()
        .values(key)
        .annotate(total=_money(Sum("amount")))
        .values("total")[:1]
    )
    return Coalesce(_CompiledOnce(total, output_field=MONEY), ZERO)


def allocated_expression(as_of: datetime.date | None = None) -> Coalesce:
    """What counts as allocated to the outer invoice row (on `as_of`)."""
    return _summed(Allocation.objects.counting(as_of), "invoice")


def with_state(
    queryset: QuerySet[Invoice],
    *,
    today: datetime.date | None = None,
    as_of: datetime.date | None = None,
) -> QuerySet[Invoice]:
    """`queryset` annotated with `allocated`, `outstanding` and `state` (see the module
    docstring): one subquery per row in the same query, so a list keeps its query count.
    Overdue is judged on `today` (`as_of`, or the local date). Annotating twice is harmless."""
    if "state" in queryset.query.annotations:
        return queryset
    today = today or as_of or timezone.localdate()
    payable = Q(kind=InvoiceKind.INVOICE) & ~Q(status=InvoiceStatus.DRAFT)
    return queryset.annotate(
        allocated=allocated_expression(as_of),
    ).annotate(
        outstanding=Case(
            When(payable, then=_money(F("gross_total") - F("allocated"))),
            default=ZERO,
            output_field=MONEY,
        ),
        state=Case(
            When(status=InvoiceStatus.DRAFT, then=Value(InvoiceState.DRAFT)),
            When(status=InvoiceStatus.CANCELLED, then=Value(InvoiceState.CANCELLED)),
            When(kind=InvoiceKind.CREDIT_NOTE, then=Value(InvoiceState.ISSUED)),
            When(allocated__gte=F("gross_total"), then=Value(InvoiceState.PAID)),
            When(due_date__lt=today, then=Value(InvoiceState.OVERDUE)),
            When(allocated__gt=0, then=Value(InvoiceState.PARTLY_PAID)),
            default=Value(InvoiceState.OPEN),
            output_field=CharField(max_length=12),
        ),
    )


# The document status each state needs: a filter on it first narrows the rows (by an index)
# before the state's subquery is computed for them.
_LIFECYCLE = {
    InvoiceState.DRAFT: Q(status=InvoiceStatus.DRAFT),
    InvoiceState.CANCELLED: Q(status=InvoiceStatus.CANCELLED),
    InvoiceState.ISSUED: Q(status=InvoiceStatus.ISSUED, kind=InvoiceKind.CREDIT_NOTE),
}
_ISSUED_INVOICE = Q(status=InvoiceStatus.ISSUED, kind=InvoiceKind.INVOICE)


def in_state(queryset: QuerySet[Invoice], state: str, *, today=None) -> QuerySet[Invoice]:
    """The documents of `queryset` in `state` (an `InvoiceState` value): the list's filter."""
    today = today or timezone.localdate()
    narrowed = queryset.filter(_LIFECYCLE.get(state, _ISSUED_INVOICE))
    if state == InvoiceState.OVERDUE:
        narrowed = narrowed.filter(due_date__lt=today)
    return with_state(narrowed, today=today).filter(state=state)


def overdue(queryset: QuerySet[Invoice], *, today=None) -> QuerySet[Invoice]:
    """Issued invoices with something outstanding after their due date (the dashboard's figure
    and the list's filter)."""
    return in_state(queryset, InvoiceState.OVERDUE, today=today)


def outstanding(invoice: Invoice, *, as_of: datetime.date | None = None) -> Decimal:
    """What is still to be paid of one invoice (0 for a draft or a credit note)."""
    row = with_state(Invoice.objects.filter(pk=invoice.pk), as_of=as_of).values_list(
        "outstanding", flat=True
    )
    return Decimal(row.get())


def state_of(invoice: Invoice) -> dict:
    """One document's `allocated`, `outstanding` and `state` (its page's header and panel)."""
    row = (
        with_state(Invoice.objects.filter(pk=invoice.pk))
        .values("allocated", "outstanding", "state")
        .get()
    )
    row["allocated"], row["outstanding"] = Decimal(row["allocated"]), Decimal(row["outstanding"])
    row["state_label"] = InvoiceState(row["state"]).label
    return row


def open_invoices(
    *,
    billing_account=None,
    currency: str | None = None,
    as_of: datetime.date | None = None,
) -> QuerySet[Invoice]:
    """Issued invoices with something outstanding (on `as_of`), oldest due first, annotated with
    `with_state`: what a payment is allocated to, a reminder lists, an aged report sums."""
    invoices = Invoice.objects.filter(kind=InvoiceKind.INVOICE).exclude(status=InvoiceStatus.DRAFT)
    if as_of is None:
        invoices = invoices.filter(status=InvoiceStatus.ISSUED)
    else:
        invoices = invoices.filter(issue_date__lte=as_of)
    if billing_account is not None:
        invoices = invoices.filter(billing_account=billing_account)
    if currency:
        invoices = invoices.filter(currency=currency)
    return (
        with_state(invoices, as_of=as_of)
        .filter(outstanding__gt=0)
        .order_by("due_date", "sequence_number", "pk")
    )


# --- What payments and credit notes have not allocated: the account's balance -------------------


def with_unallocated(payments: QuerySet[Payment], *, as_of=None) -> QuerySet[Payment]:
    """Payments annotated with `allocated`, `unallocated` (0 once reversed) and `reversed_on`."""
    allocations = Allocation.objects.all()
    reversed_ = Q(reversal__isnull=False)
    if as_of is not None:
        allocations = allocations.filter(date__lte=as_of)
        reversed_ &= Q(reversal__date__lte=as_of)
    return payments.annotate(
        allocated=_summed(allocations, "payment"), reversed_on=F("reversal__date")
    ).annotate(
        unallocated=Case(
            When(reversed_, then=ZERO),
            default=_money(F("amount") - F("allocated")),
            output_field=MONEY,
        )
    )


def with_credit_left(credit_notes: QuerySet[Invoice], *, as_of=None) -> QuerySet[Invoice]:
    """Credit notes annotated with `credit_allocated` and `unallocated` (what is left of the
    credit, positive)."""
    allocations = Allocation.objects.all()
    if as_of is not None:
        allocations = allocations.filter(date__lte=as_of)
    return credit_notes.annotate(credit_allocated=_summed(allocations, "credit_note")).annotate(
        unallocated=_money(-F("gross_total") - F("credit_allocated"))
    )


def unallocated_payments(*, billing_account=None, currency=None, as_of=None) -> QuerySet:
    """Payments (not reversed) with something left to allocate, oldest first."""
    payments = Payment.objects.all()
    if billing_account is not None:
        payments = payments.filter(billing_account=billing_account)
    if currency:
        payments = payments.filter(currency=currency)
    if as_of is not None:
        payments = payments.filter(date__lte=as_of)
    return with_unallocated(payments, as_of=as_of).filter(unallocated__gt=0).order_by("date", "pk")


def unallocated_credits(*, billing_account=None, currency=None, as_of=None) -> QuerySet:
    """Issued credit notes with credit left to allocate, oldest first."""
    notes = Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE).exclude(status=InvoiceStatus.DRAFT)
    if billing_account is not None:
        notes = notes.filter(billing_account=billing_account)
    if currency:
        notes = notes.filter(currency=currency)
    if as_of is not None:
        notes = notes.filter(issue_date__lte=as_of)
    return (
        with_credit_left(notes, as_of=as_of)
        .filter(unallocated__gt=0)
        .order_by("issue_date", "sequence_number", "pk")
    )


@dataclass
class AccountBalance:
    """A billing account's position in one currency."""

    currency: str
    outstanding: Decimal = Decimal(0)  # open invoices' outstanding amounts
    overdue: Decimal = Decimal(0)  # of which past their due date
    unallocated_payments: Decimal = Decimal(0)
    unallocated_credits: Decimal = Decimal(0)

    @property
    def balance(self) -> Decimal:
        """What the account owes, less what it has paid or been credited that is not
        allocated yet (negative: it is owed money)."""
        return self.outstanding - self.unallocated_payments - self.unallocated_credits


def account_balance(account, *, as_of: datetime.date | None = None) -> list[AccountBalance]:
    """The billing account's balance per currency (three grouped queries)."""
    balances: dict[str, AccountBalance] = {}

    def of(currency) -> AccountBalance:
        return balances.setdefault(currency, AccountBalance(currency))

    today = as_of or timezone.localdate()
    for invoice in open_invoices(billing_account=account, as_of=as_of).values(
        "currency", "outstanding", "due_date"
    ):
        balance = of(invoice["currency"])
        balance.outstanding += Decimal(invoice["outstanding"])
        if invoice["due_date"] and invoice["due_date"] < today:
            balance.overdue += Decimal(invoice["outstanding"])
    for currency, left in unallocated_payments(billing_account=account, as_of=as_of).values_list(
        "currency", "unallocated"
    ):
        of(currency).unallocated_payments += Decimal(left)
    for currency, left in unallocated_credits(billing_account=account, as_of=as_of).values_list(
        "currency", "unallocated"
    ):
        of(currency).unallocated_credits += Decimal(left)
    return [balances[currency] for currency in sorted(balances)]


# --- Pages ---------------------------------------------------------------------------------------


def allocations_of(invoice: Invoice) -> list[Allocation]:
    """What the invoice's payments panel lists: every allocation to it (those of reversed
    payments too, marked `reversed_on`), oldest first; for a credit note, its allocations to
    invoices."""
    key = "credit_note" if invoice.is_credit_note else "invoice"
    return list(
        Allocation.objects.filter(**{key: invoice})
        .select_related("payment__reversal", "credit_note", "invoice")
        .order_by("date", "pk")
    )


def payments_of(account, *, limit: int = 50) -> list[Payment]:
    """The billing account's latest payments with what each left unallocated."""
    return list(
        with_unallocated(Payment.objects.filter(billing_account=account)).order_by("-date", "-pk")[
            :limit
        ]
    )


def payment_detail(payment: Payment) -> dict:
    """A payment's page: the payment with its figures, its allocations, and the exchange
    difference they realised (counting only while the payment is not reversed)."""
    payment = (
        with_unallocated(Payment.objects.filter(pk=payment.pk))
        .select_related("billing_account", "reversal__created_by", "created_by")
        .get()
    )
    allocations = list(payment.allocations.select_related("invoice").order_by("date", "pk"))
    return {
        "payment": payment,
        "allocations": allocations,
        "exchange_difference": sum(
            (allocation.exchange_difference for allocation in allocations), Decimal(0)
        ),
    }


# --- Exchange differences ------------------------------------------------------------------------


def exchange_differences(
    *, date_from: datetime.date | None = None, date_to: datetime.date | None = None
) -> QuerySet[Allocation]:
    """The allocations (that count) which realised an exchange gain or loss, in the base
    currency (`exchange_difference`: positive a gain), dated in the period: for reports."""
    allocations = Allocation.objects.counting(date_to).exclude(exchange_difference=0)
    if date_from is not None:
        allocations = allocations.filter(date__gte=date_from)
    return allocations.select_related("invoice", "payment", "credit_note").order_by("date", "pk")


def exchange_difference_total(
    *, date_from: datetime.date | None = None, date_to: datetime.date | None = None
) -> Decimal:
    """The net exchange gain (positive) or loss of the period, in the base currency."""
    total = exchange_differences(date_from=date_from, date_to=date_to).aggregate(
        total=_money(Sum("exchange_difference"))
    )["total"]
    return Decimal(total or 0).quantize(Decimal("0.001"))
