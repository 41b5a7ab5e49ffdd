"""Demo data of payments (issue 16, part 1), after the other invoices: `demo.invoicing` paid half
of them in full; here the rest of what finance meets:

- two invoices partly paid (a card payment, a cheque): one not due yet shows *Partly paid*,
  the other *Overdue*, each with what is still outstanding;
- an over-payment: a customer paid more than its oldest open invoice; part of the surplus was
  allocated later to its next invoice, the rest stays on its account as an unallocated balance;
- a bounced cheque: a payment reversed with its reason, so its invoice is outstanding again;
- credit notes allocated: a goodwill credit of one line of a part-paid invoice, allocated at
  issue to it (up to what was outstanding), and the older credit note of `demo.invoicing` (on a
  paid invoice, so left on the account as credit) allocated to another open invoice of the same
  account;
- a EUR invoice paid at the rate of the day it was received, above the rate it was issued at:
  an exchange gain on the payment's page.
"""

import datetime
from decimal import Decimal

from django.utils import timezone

from invoicing import services
from invoicing.models import Invoice, InvoiceKind, PaymentMethod
from invoicing.payment_selectors import open_invoices, unallocated_credits


def _day(invoice: Invoice, days: int) -> datetime.date:
    """`days` after the invoice's issue date, never after today."""
    return min(invoice.issue_date + datetime.timedelta(days=days), timezone.localdate())


def _pay(tenant, user, invoice, amount, *, days, method, reference, invoices=None, **more):
    return services.payment_record(
        tenant=tenant,
        by=user,
        billing_account=invoice.billing_account,
        date=_day(invoice, days),
        amount=amount,
        currency=invoice.currency,
        method=method,
        reference=reference,
        invoices=[invoice] if invoices is None else invoices,
        **more,
    )


def build(tenant, *, user, rng) -> None:
    base = tenant.base_currency
    waiting = list(
        open_invoices().filter(currency=base, gross_total__gt=0).select_related("billing_account")
    )
    if len(waiting) < 6:
        return
    by_account: dict[int, list[Invoice]] = {}
    for invoice in waiting:
        by_account.setdefault(invoice.billing_account_id, []).append(invoice)
    taken: set[int] = set()

    # An over-payment: more than the oldest open invoice of an account with two open; part of
    # the surplus is allocated later to the second, the rest stays on the account.
    pair = next((pair for pair in by_account.values() if len(pair) >= 2), None)
    if pair is not None:
        first, second = pair[:2]
        surplus = Decimal("600.00")
        payment = _pay(
            tenant,
            user,
            first,
            first.outstanding + surplus,
            days=20,
            method=PaymentMethod.BANK_TRANSFER,
            reference=f"{first.number} and on account",
            note="Paid the invoice and more: the rest stays on the account.",
        )
        services.payment_allocate(
            tenant=tenant,
            by=user,
            payment=payment,
            invoice=second,
            amount=Decimal("250.00"),
        )
        taken |= {first.pk, second.pk}

    # Part payments: one of an invoice not due yet (*Partly paid*), one of an invoice past due
    # (*Overdue*, with less outstanding), when the demo has them.
    today = timezone.localdate()
    rest = [invoice for invoice in waiting if invoice.pk not in taken]
    not_due = [invoice for invoice in rest if invoice.due_date >= today]
    partly = (not_due or rest)[0]
    late = [invoice for invoice in rest if invoice.pk != partly.pk]
    partly_late = next((invoice for invoice in late if invoice.due_date < today), late[0])
    for invoice, share, method in (
        (partly, Decimal("0.40"), PaymentMethod.CARD),
        (partly_late, Decimal("0.25"), PaymentMethod.CHEQUE),
    ):
        _pay(
            tenant,
            user,
            invoice,
            (invoice.outstanding * share).quantize(Decimal("0.01")),
            days=14,
            method=method,
            reference=f"Part of {invoice.number}",
        )
    # A goodwill credit of one line of a part-paid invoice (of several lines, so that it stays
    # issued), allocated at issue up to what is outstanding on it.
    for candidate in (partly, partly_late):
        lines = list(candidate.lines.filter(net__gt=0).order_by("net", "pk"))
        if len(lines) >= 2:
            services.invoice_credit(
                tenant=tenant,
                by=user,
                invoice=candidate,
                line_ids=[lines[0].pk],
                reason="Goodwill: the trainer changed at short notice.",
            )
            break

    # A bounced cheque: recorded, then reversed, so its invoice is outstanding again.
    bounced = next(invoice for invoice in late if invoice.pk != partly_late.pk)
    cheque = _pay(
        tenant,
        user,
        bounced,
        bounced.outstanding,
        days=10,
        method=PaymentMethod.CHEQUE,
        reference="Cheque 004417",
    )
    services.payment_reverse(
        tenant=tenant, by=user, payment=cheque, reason="Cheque returned unpaid by the bank."
    )

    # The older credit note (on a paid invoice) pays another open invoice of its account.
    for note in unallocated_credits().filter(currency=base):
        target = open_invoices(billing_account=note.billing_account, currency=base).first()
        if target is not None:
            services.credit_allocate(tenant=tenant, by=user, credit_note=note, invoice=target)
            break

    # A EUR invoice paid at the day's rate, above its own: an exchange gain.
    eur = (
        open_invoices(currency="EUR")
        .filter(kind=InvoiceKind.INVOICE, exchange_rate__isnull=False)
        .select_related("billing_account")
        .first()
    )
    if eur is not None and base != "EUR":
        _pay(
            tenant,
            user,
            eur,
            eur.outstanding,
            days=21,
            method=PaymentMethod.BANK_TRANSFER,
            reference=f"SEPA {eur.number}",
            exchange_rate=eur.exchange_rate + Decimal("0.0125"),
        )
