"""Demo data of statements and payment reminders (issue 16, parts 2 and 3), after the payments:

- three dunning levels: a friendly reminder 7 days after the due date, a second one at 30 days
  with a reminder fee (billed as an item of the project, on its next invoice), a final one at
  60 days;
- one billing account with overdue invoices on hold (a disputed invoice), so it gets none;
- the daily job run as it would have run 25 days ago and today: overdue invoices reminded at
  levels 1 and 2 (and 3 for the oldest), each level once, on their pages' *Payment reminders*
  panel and history; the e-mails go to a dummy mailbox, never out of the machine;
- the aged receivables report (and the dashboard's panel) with something in every bucket:
  `demo.invoicing`'s invoices are dated by the calendar, so four more invoices of course
  materials (`late_drafts`, issued by `demo.invoicing` in date order with its own) are dated as
  many days before the day the demo is built as their buckets need (due 12, 45, 75 and 120 days
  ago), on projects in the base currency.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.mail import get_connection
from django.db import transaction
from django.utils import timezone

from accounts.models import Account
from agreements.models import Product, ProductKind
from invoicing import services
from invoicing.models import DunningLevel, Invoice
from invoicing.payment_selectors import overdue
from invoicing.services.reminders import dunning_level_save, reminder_hold, send_reminders
from projects.models import Item, Project

LEVELS = [
    (1, 7, "Friendly reminder: {invoice_numbers}", None),
    (2, 30, "Second reminder: {invoice_numbers} overdue", Decimal("25")),
    (3, 60, "Final reminder before collection: {invoice_numbers}", None),
]
HOLD_REASON = "Disputed invoice: awaiting the signed attendance sheets."
DAYS_OVERDUE = (12, 45, 75, 120)
MATERIALS = "MAT-"


def late_drafts(tenant, user, today=None) -> list[tuple]:
    """Drafts of course materials to be issued DAYS_OVERDUE days (plus the payment terms)
    before `today`, as (day, id, draft) for `demo.invoicing`'s issuing loop: issued there in
    date order with the others, so that invoice numbers still follow their dates."""
    today = today or timezone.localdate()
    product = (
        Product.objects.filter(kind=ProductKind.ITEM, is_active=True, default_price__gt=0)
        .order_by("code")
        .first()
    )
    projects = list(
        Project.objects.filter(currency=tenant.base_currency, status="active", do_not_invoice=False)
        .exclude(account__kind="individual")
        .order_by("code")
    )
    if product is None or not projects:
        return []
    entries, index = [], 0
    for days in DAYS_OVERDUE:
        day = today - datetime.timedelta(days=days + tenant.payment_terms_days)
        for _attempt in range(len(projects)):
            project = projects[index % len(projects)]
            index += 1
            try:
                with transaction.atomic():
                    item = Item(
                        tenant=tenant,
                        project=project,
                        product=product,
                        date=day,
                        quantity=Decimal(6),
                        description=f"{product.name}: course materials",
                        unit_price=product.default_price,
                        price_source="product_default",
                        unit_cost=Decimal(0),
                        net_amount=product.default_price * 6,
                        po_reference=f"{MATERIALS}{day:%Y%m%d}",
                    )
                    item.full_clean()
                    item.save()
                    (draft,) = services.drafts_create(
                        tenant=tenant, by=user, project=project, item_ids=[item.pk]
                    )
            except ValidationError:
                continue  # this project cannot take it (its cap, a purchase order): the next
            entries.append((day, draft.pk, draft))
            break
    return entries


def build(tenant, *, user, rng) -> None:
    fee = Product.objects.filter(kind=ProductKind.FEE, is_active=True).order_by("code").first()
    for number, days, subject, amount in LEVELS:
        dunning_level_save(
            tenant=tenant,
            by=user,
            level=DunningLevel(
                level=number,
                days_after_due=days,
                subject=subject,
                fee_amount=amount if fee else None,
                fee_product=fee if amount else None,
            ),
        )
    today = timezone.localdate()
    billed = set(
        Invoice.objects.filter(po_reference__startswith=MATERIALS).values_list(
            "billing_account", flat=True
        )
    )
    late = overdue(Invoice.objects.all(), today=today).exclude(billing_account__in=billed)
    held = late.order_by("-due_date").values_list("billing_account", flat=True).first()
    if held is not None:  # another customer with overdue invoices disputes one: on hold
        reminder_hold(
            tenant=tenant, by=user, account=Account.objects.get(pk=held), reason=HOLD_REASON
        )
    dummy = get_connection("django.core.mail.backends.dummy.EmailBackend")
    for day in (today - datetime.timedelta(days=25), today):
        send_reminders(tenant=tenant, by=user, today=day, connection=dummy)
