"""Demo data of invoicing: two years of invoices issued after their events, half of them paid
(a payment each), a credit note, open drafts, and EUR invoices with the exchange rate of their
issue date. Part payments, over-payments and the rest: `demo.payments`."""

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from agreements import services as agreement_services
from agreements.models import Product, ProductKind, TaxRate
from demo import reminders as reminder_demo
from invoicing import services
from invoicing.models import ExchangeRate, Grouping, InvoicingSettings
from projects import services as project_services
from projects.billing import invoiceable_items
from projects.models import Item, PrivateEvent, Project, Registration, RegistrationStatus

LAST_DAY = datetime.date(2026, 11, 20)


def _weekly_rates(tenant) -> None:
    """A rate every Monday from 2025 on: invoices take one at most `max_rate_age_days` (7 by
    default) older than their issue date, so a rate a year old is never used."""
    day, week, rates = datetime.date(2024, 12, 30), 0, []
    last = max(LAST_DAY, timezone.localdate())  # up to today: invoices issued today find one
    while day <= last:
        drift = Decimal((week * 37) % 41 - 20) / Decimal(10000)  # a small, repeatable wobble
        for currency, base in (("EUR", Decimal("0.8650")), ("USD", Decimal("0.7900"))):
            rates.append(
                ExchangeRate(tenant=tenant, currency=currency, date=day, rate=base + drift)
            )
        day, week = day + datetime.timedelta(days=7), week + 1
    ExchangeRate.objects.bulk_create(rates)


def build(tenant, *, user, rng: random.Random) -> None:
    _weekly_rates(tenant)
    _handling_fee_product(tenant, user)
    part_billed = _block_of_places(tenant, user)
    to_issue = []
    for project in Project.objects.exclude(do_not_invoice=True).order_by("code"):
        registrations = list(
            Registration.objects.filter(
                project=project, status=RegistrationStatus.DELIVERED, invoiced=False
            )
            .exclude(pk=part_billed.pk if part_billed else None)
            .order_by("event__start_date", "pk")
            .values_list("pk", flat=True)
        )
        items = list(
            Item.objects.filter(invoiceable_items(LAST_DAY), project=project).values_list(
                "pk", flat=True
            )
        )
        if not registrations:
            continue
        finished = project.status == "finished"
        if finished:  # invoiced while it ran: reopen to draft, finish again afterwards
            project_services.project_set_status(
                tenant=tenant, by=user, project=project, status="active"
            )
        take = registrations if finished else registrations[: len(registrations) * 2 // 3]
        drafts = services.drafts_create(
            tenant=tenant,
            by=user,
            project=project,
            registration_ids=take,
            item_ids=items,
            grouping=Grouping.EVENT,
        )
        if finished:
            project_services.project_set_status(
                tenant=tenant, by=user, project=project, status="finished"
            )
        keep_open = [] if finished else drafts[-1:]  # some drafts stay for finance to issue
        for draft in drafts:
            if draft in keep_open:
                continue
            event_day = max(
                (line.event_date for line in draft.lines.all() if line.event_date), default=LAST_DAY
            )
            to_issue.append(
                (min(event_day + datetime.timedelta(days=10), LAST_DAY), draft.pk, draft)
            )
    to_issue += reminder_demo.late_drafts(tenant, user)  # issue 16.2: every aged bucket
    issued = []
    for day, _pk, draft in sorted(to_issue, key=lambda entry: entry[:2]):  # numbers follow dates
        issued.append(
            services.invoice_issue(
                tenant=tenant, by=user, invoice=draft, on_date=day, render_pdf=False
            )
        )
    for invoice in issued[: len(issued) // 2]:  # paid in full by bank transfer before due
        services.payment_record(
            tenant=tenant,
            by=user,
            billing_account=invoice.billing_account,
            date=min(invoice.due_date - datetime.timedelta(days=5), LAST_DAY),
            amount=invoice.gross_total,
            currency=invoice.currency,
            reference=invoice.number,
            invoices=[invoice],
        )
    if len(issued) > 1:
        credited = issued[1]
        services.invoice_credit(
            tenant=tenant,
            by=user,
            invoice=credited,
            line_ids=[credited.lines.first().pk],
            reason="Learner did not attend; place credited.",
        )
    if part_billed is not None:
        _bill_part_of_a_block(tenant, user, part_billed)


def _block_of_places(tenant, user):
    """A block of four unnamed places on a course that has run (the customer names learners
    later), delivered: billed in part below."""

    event = (
        PrivateEvent.objects.filter(
            project__status="active",
            project__do_not_invoice=False,
            project__project_type="invoiceable",
            end_date__lt=LAST_DAY - datetime.timedelta(days=30),
        )
        .exclude(status="cancelled")
        .order_by("-end_date", "pk")
        .first()
    )
    if event is None:
        return None
    (block,) = project_services.registrations_add(
        tenant=tenant,
        by=user,
        project=event.project,
        event=event,
        learners=[],
        places=4,
        requested_date=event.start_date,
        notes="Block booking: names to follow.",
        confirm=True,
    )
    project_services.registrations_set_status(
        tenant=tenant, by=user, project=event.project, ids=[block.pk], status="delivered"
    )
    return block


def _bill_part_of_a_block(tenant, user, block) -> None:
    """A block of places billed in part: the customer's PO covered one place so far; the rest
    stays due on the registrations tab and in the next bulk run."""
    (draft,) = services.drafts_create(
        tenant=tenant, by=user, project=block.project, registration_ids=[block.pk]
    )
    line = draft.lines.get(registration=block)
    services.draft_line_update(
        tenant=tenant, by=user, line=line, quantity=1, unit_price=line.unit_price
    )
    services.invoice_issue(tenant=tenant, by=user, invoice=draft, render_pdf=False)


def _handling_fee_product(tenant, user) -> None:
    """Invoicing settings: the handling fee is billed as a fee product at the standard rate
    (Settings → Invoicing settings), never on places paid from a prepurchase."""
    fee = agreement_services.product_save(
        tenant=tenant,
        by=user,
        product=Product(
            tenant=tenant,
            code="ADMIN-FEE",
            name="Programme administration",
            kind=ProductKind.FEE,
            currency=tenant.base_currency,
            default_price=0,
            tax_rate=TaxRate.objects.filter(code="STD").first(),
        ),
    )
    services.invoicing_settings_save(
        tenant=tenant,
        by=user,
        settings=InvoicingSettings(tenant=tenant, handling_fee_product=fee),
    )
