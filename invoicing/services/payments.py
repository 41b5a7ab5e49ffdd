"""Payments and allocations (issue 16, part 1): record a payment against one or several open
invoices, allocate what a payment or credit note has left to another invoice, reverse a
payment. An invoice's outstanding amount and payment state follow from its allocations
(`invoicing.payment_selectors`); nothing here sets a flag.

Rules:
- a payment comes from a billing account, in the currency of the invoices it pays, at its own
  exchange rate (entered, or the rate table's on its date); it pays only that account's
  issued invoices in its currency, each at most what is outstanding; the rest stays on the
  account, unallocated, to allocate later;
- a credit note is allocated at issue to the invoice it credits, up to what is outstanding
  there; the rest stays on the account as credit, for finance to allocate to another open
  invoice of the same account;
- every allocation freezes its exchange difference: the amount at the source's rate less the
  amount at the invoice's rate, in the base currency (a gain when positive);
- a reversal (with its reason) makes the payment and its allocations stop counting; payments,
  allocations and reversals are never changed or deleted;
- the invoices are locked (in the order of their ids) before what is outstanding is read, then
  the payment: two payments at once never allocate more than an invoice's gross.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.platform.audit import audit
from accounts.platform.guards import check_tenant, require_active
from accounts.platform.money import round_money
from invoicing.models import (
    Allocation,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentReversal,
)
from invoicing.payment_selectors import with_credit_left, with_state, with_unallocated
from invoicing.selectors import rate_for


def _user(by):
    return by if getattr(by, "is_authenticated", False) else None


def _lock(invoice_ids) -> dict[int, Invoice]:
    """Lock the invoices (ids ascending, so two writers never wait on each other in a circle)
    and read them with what is outstanding, after the lock."""
    ids = sorted(set(invoice_ids))
    list(Invoice.objects.select_for_update().filter(pk__in=ids).order_by("pk").values("pk"))
    found = {invoice.pk: invoice for invoice in _read(ids)}
    if len(found) != len(ids):
        raise ValidationError(gettext("Some of these invoices no longer exist; reload the page."))
    return found


def _read(invoice_ids) -> list[Invoice]:
    """The invoices with their state and what is outstanding, in their currency's minor unit."""
    invoices = list(with_state(Invoice.objects.filter(pk__in=invoice_ids)))
    for invoice in invoices:
        invoice.outstanding = round_money(invoice.outstanding, invoice.currency)
    return invoices


def _shown(amount, currency: str) -> str:
    """“1,080.00 EUR”: an amount as messages show it."""
    return f"{round_money(amount, currency):,} {currency}"


def exchange_difference(amount: Decimal, source_rate, invoice: Invoice, base: str) -> Decimal:
    """`amount` at the source's rate less at the invoice's stored rate, in the base currency."""
    invoice_rate = invoice.exchange_rate or source_rate
    return round_money(Decimal(amount) * (Decimal(source_rate) - Decimal(invoice_rate)), base)


def _check_payable(invoice: Invoice, *, account_id: int, currency: str) -> None:
    """What any allocation checks of the invoice it pays (locked, annotated)."""
    if invoice.kind != InvoiceKind.INVOICE or invoice.status != InvoiceStatus.ISSUED:
        what = {InvoiceStatus.DRAFT: "a draft", InvoiceStatus.CANCELLED: "cancelled"}
        raise ValidationError(
            gettext("%(invoice)s is %(status)s: only issued invoices are paid.")
            % {
                "invoice": invoice,
                "status": "a credit note" if invoice.is_credit_note else what[invoice.status],
            }
        )
    if invoice.billing_account_id != account_id:
        raise ValidationError(
            gettext(
                "%(invoice)s is billed to another account: a payment or credit is allocated to "
                "invoices of its own billing account only."
            )
            % {"invoice": invoice}
        )
    if invoice.currency != currency:
        raise ValidationError(
            gettext(
                "%(invoice)s is in %(currency)s, the payment or credit in %(currency2)s: allocate "
                "it to an invoice in the same currency."
            )
            % {"invoice": invoice, "currency": invoice.currency, "currency2": currency}
        )
    if invoice.outstanding <= 0:
        raise ValidationError(
            gettext("%(invoice)s is paid: nothing is outstanding on it.") % {"invoice": invoice}
        )


def _amount(value, currency: str, *, field: str = "amount") -> Decimal:
    amount = round_money(value, currency)
    if amount <= 0:
        raise ValidationError({field: gettext("Enter an amount above zero.")})
    return amount


def _day(value, *, field: str) -> datetime.date:
    day = value or timezone.localdate()
    if day > timezone.localdate():
        raise ValidationError(
            {field: gettext("That day is in the future: enter the day it happened.")}
        )
    return day


def _allocate(
    tenant,
    by,
    invoice: Invoice,
    amount: Decimal,
    *,
    payment=None,
    credit_note=None,
    day: datetime.date,
    source_rate,
) -> Allocation:
    """Write one allocation (the invoice locked and annotated by `_lock`) and audit it on the
    invoice; `invoice.outstanding` follows."""
    allocation = Allocation(
        tenant=tenant,
        invoice=invoice,
        payment=payment,
        credit_note=credit_note,
        amount=amount,
        date=max(day, invoice.issue_date or day),
        exchange_difference=exchange_difference(amount, source_rate, invoice, tenant.base_currency),
        created_by=_user(by),
    )
    allocation.save()
    invoice.outstanding -= amount
    source = f"payment #{payment.pk}" if payment else str(credit_note)
    audit(
        tenant=tenant,
        actor=by,
        action="payment allocated" if payment else "credit allocated",
        obj=invoice,
        after={
            "from": source,
            "amount": amount,
            "outstanding": invoice.outstanding,
            "exchange difference": allocation.exchange_difference,
        },
    )
    return allocation


@transaction.atomic
def payment_record(
    *,
    tenant,
    by,
    billing_account,
    amount,
    currency: str,
    date: datetime.date | None = None,
    method: str = PaymentMethod.BANK_TRANSFER,
    reference: str = "",
    note: str = "",
    exchange_rate=None,
    invoices: Sequence[Invoice] = (),
    amounts: Mapping[int, Decimal] | None = None,
) -> Payment:
    """Record a payment from `billing_account` and allocate it to `invoices`, in their order:
    each takes `amounts[invoice.pk]` when given, else what is outstanding on it (as much as is
    left). What is not allocated stays on the account. `exchange_rate`: base currency per unit
    (empty: the rate table's on the payment's date)."""
    require_active(tenant)
    check_tenant(tenant, billing_account, *invoices)
    currency = (currency or "").upper()
    amount = _amount(amount, currency)
    day = _day(date, field="date")
    if method not in PaymentMethod.values:
        raise ValidationError({"method": gettext("Choose how the payment was made.")})
    if currency == tenant.base_currency:
        if exchange_rate not in (None, "", 1, Decimal(1)):
            raise ValidationError(
                {
                    "exchange_rate": gettext(
                        "%(currency)s is your base currency: leave the rate empty."
                    )
                    % {"currency": currency}
                }
            )
        rate = Decimal(1)
    elif exchange_rate not in (None, ""):
        try:
            rate = Decimal(exchange_rate)
        except (InvalidOperation, TypeError, ValueError):
            rate = Decimal("NaN")
        if not rate.is_finite() or rate <= 0:
            raise ValidationError({"exchange_rate": gettext("Enter a rate above zero.")})
    else:
        rate = rate_for(tenant, currency, day)
    amounts = dict(amounts or {})
    invoices = list({invoice.pk: invoice for invoice in invoices}.values())  # each once
    locked = _lock(invoice.pk for invoice in invoices) if invoices else {}
    payment = Payment(
        tenant=tenant,
        billing_account=billing_account,
        date=day,
        amount=amount,
        currency=currency,
        exchange_rate=rate,
        method=method,
        reference=reference.strip(),
        note=note.strip(),
        created_by=_user(by),
    )
    payment.full_clean(exclude=["tenant", "billing_account", "created_by"])
    payment.save()
    left = amount
    for invoice in (locked[invoice.pk] for invoice in invoices):
        _check_payable(invoice, account_id=billing_account.pk, currency=currency)
        wanted = amounts.get(invoice.pk)
        if wanted is not None:
            share = _amount(wanted, currency)
            if share > invoice.outstanding:
                raise ValidationError(
                    gettext(
                        "%(currency)s is more than the %(currency2)s outstanding on %(invoice)s: "
                        "allocate at most that."
                    )
                    % {
                        "currency": _shown(share, currency),
                        "currency2": _shown(invoice.outstanding, currency),
                        "invoice": invoice,
                    }
                )
        else:
            share = min(left, invoice.outstanding)
        if share > left:
            raise ValidationError(
                gettext("The payment is %(currency)s: it cannot pay more than that in all.")
                % {"currency": _shown(amount, currency)}
            )
        if share > 0:
            _allocate(tenant, by, invoice, share, payment=payment, day=day, source_rate=rate)
            left -= share
    audit(
        tenant=tenant,
        actor=by,
        action="payment recorded",
        obj=payment,
        after={
            "account": billing_account.name,
            "amount": amount,
            "currency": currency,
            "date": day,
            "rate": rate,
            "method": method,
            "reference": payment.reference,
            "unallocated": left,
        },
    )
    return payment


@transaction.atomic
def payment_allocate(
    *, tenant, by, payment: Payment, invoice: Invoice, amount=None, date=None
) -> Allocation:
    """Allocate (part of) what `payment` has left to an open invoice of its billing account:
    `amount`, or as much as both allow."""
    require_active(tenant)
    check_tenant(tenant, payment, invoice)
    locked = _lock([invoice.pk])[invoice.pk]
    Payment.objects.select_for_update().filter(pk=payment.pk).values("pk").get()
    payment = with_unallocated(Payment.objects.filter(pk=payment.pk)).get()
    if payment.reversed_on is not None:
        raise ValidationError(
            gettext("%(payment)s was reversed: it pays nothing any more.") % {"payment": payment}
        )
    _check_payable(locked, account_id=payment.billing_account_id, currency=payment.currency)
    share = _share(amount, payment.unallocated, locked, payment.currency, what=str(payment))
    return _allocate(
        tenant,
        by,
        locked,
        share,
        payment=payment,
        day=max(_day(date, field="date"), payment.date),
        source_rate=payment.exchange_rate,
    )


@transaction.atomic
def credit_allocate(
    *, tenant, by, credit_note: Invoice, invoice: Invoice, amount=None, date=None
) -> Allocation:
    """Allocate (part of) what an issued credit note has left to an open invoice of its billing
    account: `amount`, or as much as both allow."""
    require_active(tenant)
    check_tenant(tenant, credit_note, invoice)
    if credit_note.pk == invoice.pk:
        raise ValidationError(gettext("Choose an invoice to allocate the credit note to."))
    found = _lock([credit_note.pk, invoice.pk])
    locked = found[invoice.pk]
    note = with_credit_left(Invoice.objects.filter(pk=credit_note.pk)).get()
    if note.kind != InvoiceKind.CREDIT_NOTE or note.status == InvoiceStatus.DRAFT:
        raise ValidationError(gettext("%(note)s is not an issued credit note.") % {"note": note})
    _check_payable(locked, account_id=note.billing_account_id, currency=note.currency)
    share = _share(amount, note.unallocated, locked, note.currency, what=str(note))
    return _allocate(
        tenant,
        by,
        locked,
        share,
        credit_note=note,
        day=max(_day(date, field="date"), note.issue_date),
        source_rate=note.exchange_rate or locked.exchange_rate,
    )


def _share(amount, left: Decimal, invoice: Invoice, currency: str, *, what: str) -> Decimal:
    if left <= 0:
        raise ValidationError(
            gettext("Everything of %(what)s is allocated already.") % {"what": what}
        )
    left = round_money(left, currency)
    most = min(left, invoice.outstanding)
    if amount in (None, ""):
        return most
    share = _amount(amount, currency)
    if share > most:
        raise ValidationError(
            {
                "amount": (
                    gettext(
                        "At most %(currency)s: %(what)s has %(currency2)s left and %(currency3)s "
                        "is outstanding on %(invoice)s."
                    )
                    % {
                        "currency": _shown(most, currency),
                        "what": what,
                        "currency2": _shown(left, currency),
                        "currency3": _shown(invoice.outstanding, currency),
                        "invoice": invoice,
                    }
                )
            }
        )
    return share


def allocation_plan(*, tenant, source, invoice: Invoice, amount=None) -> dict:
    """What `payment_allocate` or `credit_allocate` would do, by the same checks, without
    writing: the amount, what the invoice keeps outstanding and what the source keeps
    unallocated after it, and the exchange difference (the confirmation page)."""
    check_tenant(tenant, source, invoice)
    (invoice,) = _read([invoice.pk])
    if isinstance(source, Payment):
        source = with_unallocated(Payment.objects.filter(pk=source.pk)).get()
        if source.reversed_on is not None:
            raise ValidationError(
                gettext("%(source)s was reversed: it pays nothing any more.") % {"source": source}
            )
        account_id, currency, rate = (
            source.billing_account_id,
            source.currency,
            source.exchange_rate,
        )
    else:
        source = with_credit_left(Invoice.objects.filter(pk=source.pk)).get()
        if source.pk == invoice.pk:
            raise ValidationError(gettext("Choose an invoice to allocate the credit note to."))
        account_id, currency = source.billing_account_id, source.currency
        rate = source.exchange_rate or invoice.exchange_rate
    _check_payable(invoice, account_id=account_id, currency=currency)
    share = _share(amount, source.unallocated, invoice, currency, what=str(source))
    return {
        "source": source,
        "invoice": invoice,
        "amount": share,
        "currency": currency,
        "outstanding_after": invoice.outstanding - share,
        "left_after": round_money(source.unallocated, currency) - share,
        "exchange_difference": exchange_difference(share, rate, invoice, tenant.base_currency),
    }


def credit_note_allocate(*, tenant, by, note: Invoice) -> Allocation | None:
    """At issue: allocate a new credit note to the invoice it credits, up to what is
    outstanding there (the caller, `invoice_credit`, holds that invoice's lock). The rest stays
    on the account as credit. Nothing when the invoice is paid already."""
    (invoice,) = _read([note.credits_id])
    share = min(-note.gross_total, invoice.outstanding)
    if share <= 0:
        return None
    return _allocate(
        tenant,
        by,
        invoice,
        share,
        credit_note=note,
        day=note.issue_date,
        source_rate=note.exchange_rate or invoice.exchange_rate,
    )


@transaction.atomic
def payment_reverse(*, tenant, by, payment: Payment, reason: str, date=None) -> PaymentReversal:
    """Reverse a payment (entered by mistake, bounced): it and its allocations stop counting,
    so what it paid is outstanding again. Audited; a payment is reversed once."""
    require_active(tenant)
    check_tenant(tenant, payment)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": gettext("Say why the payment is reversed.")})
    Payment.objects.select_for_update().filter(pk=payment.pk).values("pk").get()
    reversed_already = PaymentReversal.objects.filter(payment_id=payment.pk).first()
    if reversed_already is not None:
        raise ValidationError(
            gettext("%(payment)s was reversed on %(date)s already.")
            % {"payment": payment, "date": format(reversed_already.date, "%d %b %Y")}
        )
    day = _day(date, field="date")
    if day < payment.date:
        raise ValidationError(
            {"date": gettext("A payment cannot be reversed before it was received.")}
        )
    reversal = PaymentReversal(
        tenant=tenant, payment=payment, date=day, reason=reason[:255], created_by=_user(by)
    )
    reversal.save()
    audit(
        tenant=tenant,
        actor=by,
        action="payment reversed",
        obj=payment,
        after={"reason": reversal.reason, "amount": payment.amount, "date": day},
    )
    for allocation in payment.allocations.select_related("invoice"):
        audit(
            tenant=tenant,
            actor=by,
            action="payment reversed",
            obj=allocation.invoice,
            after={
                "payment": f"#{payment.pk}",
                "amount": allocation.amount,
                "reason": reversal.reason,
            },
        )
    return reversal
