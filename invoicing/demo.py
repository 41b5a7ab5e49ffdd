"""Demo data of invoicing: issued invoices on finished and running projects, one paid, one
credit note, open drafts, and a EUR invoice with its exchange rate."""

import datetime
import random
from decimal import Decimal

from invoicing import services
from invoicing.models import ExchangeRate, Grouping
from projects.models import Item, Project, Registration, RegistrationStatus


def build(tenant, *, user, rng: random.Random) -> None:
    for currency, rate in (("EUR", "0.8612"), ("USD", "0.7903")):
        ExchangeRate.objects.create(
            tenant=tenant, currency=currency, date=datetime.date(2025, 1, 1), rate=Decimal(rate)
        )
    projects = list(Project.objects.exclude(do_not_invoice=True).order_by("code"))
    issued = []
    for project in projects:
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
        if finished:
            # A finished project was invoiced while it ran; reopen to invoice, finish again.
            services_finished(tenant, user, project, reopen=True)
        take = registrations if finished else registrations[: len(registrations) * 2 // 3]
        drafts = services.drafts_create(
            tenant=tenant,
            by=user,
            project=project,
            registration_ids=take,
            item_ids=items,
            grouping=Grouping.EVENT,
        )
        for draft in drafts[:-1] if not finished else drafts:
            issued.append(
                services.invoice_issue(tenant=tenant, by=user, invoice=draft, render_pdf=False)
            )
        if finished:
            services_finished(tenant, user, project, reopen=False)
    if issued:
        services.invoice_mark_paid(tenant=tenant, by=user, invoice=issued[0])
        first_line = issued[1].lines.first() if len(issued) > 1 else None
        if first_line is not None:
            services.invoice_credit(
                tenant=tenant,
                by=user,
                invoice=issued[1],
                line_ids=[first_line.pk],
                reason="Learner did not attend; place credited.",
            )


def services_finished(tenant, user, project, *, reopen):
    from projects import services as project_services

    project_services.project_set_status(
        tenant=tenant, by=user, project=project, status="active" if reopen else "finished"
    )
