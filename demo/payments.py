"""Demo data of payments (issue 16, part 1), after the other invoices: `demo.invoicing` paid half
of them in full; here the rest of what finance meets:

- two invoices partly paid (a card payment, a cheque): one not due yet shows *Partly paid*,
  the other *Overdue*, each with what is still outstanding;
- an over-payment: a customer paid more than its oldest open invoice; part of the surplus was
  allocated later to its next invoice, the rest stays on its account as an unallocated balance;
- a bounced cheque: a payment reversed with its reason, so its invoice is outstanding again;
- credit notes allocated: a goodwill credit on the partly paid invoice, allocated at issue to
  it (up to what was outstanding), and the older credit note of `demo.invoicing` (on a paid
  invoice, so left on the account as credit) allocated to another open invoice of the same
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

    # Not yet due first: the first part payment shows *Partly paid*, the second *Overdue*.
    today = timezone.localdate()
    rest = sorted(
        (invoice for invoice in waiting if invoice.pk not in taken),
        key=lambda invoice: invoice.due_date < today,
    )
    # Two invoices partly paid: 40 % by card, 25 % by cheque.
    for invoice, share, method in (
        (rest[0], Decimal("0.40"), PaymentMethod.CARD),
        (rest[1], Decimal("0.25"), PaymentMethod.CHEQUE),
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
    # A goodwill credit of one line of a partly paid invoice (of several lines: it stays
    # issued), allocated at issue up to what is outstanding on it.
    for partly in Invoice.objects.filter(pk__in=[rest[0].pk, rest[1].pk]).order_by("due_date"):
        lines = list(partly.lines.filter(net__gt=0).order_by("net", "pk"))
        if len(lines) >= 2:
            services.invoice_credit(
                tenant=tenant,
                by=user,
                invoice=partly,
                line_ids=[lines[0].pk],
                reason="Goodwill: the trainer changed at short notice.",
            )
            break

    # A bounced cheque: recorded, then reversed, so its invoice is outstanding again.
    bounced = rest[2]
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
