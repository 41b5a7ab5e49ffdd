"""Demo data of invoicing: two years of invoices issued after their events, one paid, a credit
note, open drafts, and EUR invoices with the exchange rate of their issue date."""

import datetime
import random
from decimal import Decimal

from invoicing import services
from invoicing.models import ExchangeRate, Grouping
from projects import services as project_services
from projects.models import Item, Project, Registration, RegistrationStatus

LAST_DAY = datetime.date(2026, 11, 20)


def build(tenant, *, user, rng: random.Random) -> None:
    for currency, rate in (("EUR", "0.8612"), ("USD", "0.7903")):
        ExchangeRate.objects.create(
            tenant=tenant, currency=currency, date=datetime.date(2025, 1, 1), rate=Decimal(rate)
        )
    ExchangeRate.objects.create(
        tenant=tenant, currency="EUR", date=datetime.date(2026, 1, 1), rate=Decimal("0.8701")
    )
    to_issue = []
    for project in Project.objects.exclude(do_not_invoice=True).order_by("code"):
        registrations = list(
            Registration.objects.filter(
                project=project, status=RegistrationStatus.DELIVERED, invoiced=False
            )
            .order_by("event__start_date", "pk")
            .values_list("pk", flat=True)
        )
        items = list(
            Item.objects.filter(project=project, billable=True, invoiced=False).values_list(
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
    issued = []
    for day, _pk, draft in sorted(to_issue, key=lambda entry: entry[:2]):  # numbers follow dates
        issued.append(
            services.invoice_issue(
                tenant=tenant, by=user, invoice=draft, on_date=day, render_pdf=False
            )
        )
    for invoice in issued[: len(issued) // 2]:
        services.invoice_mark_paid(
            tenant=tenant,
            by=user,
            invoice=invoice,
            paid_on=min(invoice.due_date - datetime.timedelta(days=5), LAST_DAY),
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
