"""The dashboard's figures: this month's revenue, work not yet invoiced, overdue invoices and the
projects to watch. Revenue and work in progress use `reporting.selectors`' definitions (`facts`,
`invoiced_share`), never copies of them."""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, DecimalField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from invoicing.models import Invoice
from invoicing.payment_selectors import overdue
from invoicing.selectors import LINE_PROJECT, revenue_lines
from projects.billing import earned_registrations
from projects.models import Item, Project, Registration
from reporting.selectors import facts, invoiced_share, invoicing_lines, prefixed


def dashboard(*, base_currency: str, today=None, projects=None) -> dict:
    """This month's invoiced revenue, work not yet invoiced, overdue invoices, projects to
    watch (ending within 30 days, or past 80 % of their maximum billing amount); `projects` (a
    queryset of ids: those shared with the member) limits every figure to them."""
    today = today or timezone.localdate()
    month_start = today.replace(day=1)
    this_month = facts(
        grain=("project",),
        projects=projects,
        date_from=month_start,
        date_to=today,
        today=today,
        invoiced_only=True,
    )
    revenue = sum((cell.invoiced_base for cell in this_month.values()), Decimal(0))
    # Its two parts, to explain a negative month (issue 17): credit notes exceeding invoices.
    credited = -sum((cell.credited_base for cell in this_month.values()), Decimal(0))
    # Work in progress per currency, with facts' definition (the net amount delivered, less
    # what issued invoice lines invoice of it), from grouped queries rather than a subquery
    # per registration.
    wip = defaultdict(Decimal)
    earned, billable = earned_registrations(), Q(billable=True)
    parts = (
        (Registration.objects.filter(earned), "project", Sum("net_amount"), 1),
        (Item.objects.filter(billable), "project", Sum("net_amount"), 1),
        (
            invoicing_lines("registration").filter(prefixed(earned, "registration__")),
            "registration__project",
            Sum(invoiced_share("registration", "places")),
            -1,
        ),
        (
            invoicing_lines("item").filter(prefixed(billable, "item__")),
            "item__project",
            Sum(invoiced_share("item", "quantity")),
            -1,
        ),
    )
    per_project = defaultdict(Decimal)
    for queryset, project, total, sign in parts:
        if projects is not None:
            queryset = queryset.filter(**{f"{project}__in": projects})
        for project_id, value in queryset.values_list(project).order_by().annotate(v=total):
            per_project[project_id] += sign * (value or 0)
    currencies = dict(
        Project.objects.filter(pk__in=per_project).values_list("pk", "currency").order_by()
    )
    for project_id, value in per_project.items():
        wip[currencies[project_id]] += value
    # Overdue: count and what is outstanding per currency, from one grouped query.
    overdue_groups = list(
        overdue(
            Invoice.objects.all()
            if projects is None
            else Invoice.objects.filter(project__in=projects),
            today=today,
        )
        .values_list("currency")
        .annotate(total=Sum("outstanding"), count=Count("pk"))
        .order_by("currency")
    )
    money = DecimalField(max_digits=16, decimal_places=3)
    billed = Coalesce(  # invoiced, as the billing cap counts it (`invoiced_net`)
        Subquery(
            revenue_lines()
            .filter(**{LINE_PROJECT: OuterRef("pk")})
            .order_by()
            .values(LINE_PROJECT)
            .annotate(total=Sum("net"))
            .values("total")[:1],
            output_field=money,
        ),
        Value(Decimal(0), output_field=money),
    )
    active = (
        Project.objects.filter(status="active").select_related("account").annotate(billed=billed)
    )
    if projects is not None:
        active = active.filter(pk__in=projects)
    ending = list(
        active.filter(
            end_date__gte=today, end_date__lte=today + datetime.timedelta(days=30)
        ).order_by("end_date")[:10]
    )
    near_cap = list(
        active.filter(max_billing_amount__isnull=False)
        .filter(billed__gte=F("max_billing_amount") * Decimal("0.8"))
        .order_by("code")[:10]
    )
    return {
        "month": month_start,
        "today": today,
        "revenue": revenue,
        "invoices": revenue + credited,  # the invoices' part of revenue, credit notes apart
        "credited": credited,
        "base_currency": base_currency,
        "wip": sorted((currency, value) for currency, value in wip.items() if value),
        "overdue_count": sum(count for _currency, _total, count in overdue_groups),
        "overdue_by_currency": [(currency, total) for currency, total, _count in overdue_groups],
        "ending": ending,
        "near_cap": near_cap,
    }
