"""Profitability: revenue, cost and profit per project, rolled up by account, region, manager
or month. Amounts in different currencies are never added together: every row carries its
currency, and totals in the tenant's base currency convert invoiced revenue at the rate stored on
each invoice and other figures at the rate table's rate on or before the month's end.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, Q, Sum
from django.db.models.functions import TruncMonth

from invoicing.models import ExchangeRate, Invoice
from projects.models import EventStatus, Item, PrivateEvent, Project, Registration

DIMENSIONS = {
    "project": "Project",
    "account": "Customer",
    "region": "Region",
    "manager": "Manager",
    "month": "Month",
}
MEASURES = ["places", "invoiced", "recognised", "wip", "cost", "profit"]


@dataclass
class Figures:
    places: int = 0
    invoiced: Decimal = Decimal(0)
    recognised: Decimal = Decimal(0)
    wip: Decimal = Decimal(0)
    cost: Decimal = Decimal(0)
    invoiced_base: Decimal = Decimal(0)
    months: set = field(default_factory=set)

    @property
    def profit(self) -> Decimal:
        return self.recognised - self.cost

    @property
    def margin(self):
        return self.profit / self.recognised * 100 if self.recognised else None

    def add(self, other: "Figures") -> None:
        self.places += other.places
        self.invoiced += other.invoiced
        self.recognised += other.recognised
        self.wip += other.wip
        self.cost += other.cost
        self.invoiced_base += other.invoiced_base
        self.months |= other.months


def _month(value):
    return value.date() if isinstance(value, datetime.datetime) else value


def project_month_figures(date_from=None, date_to=None) -> dict:
    """{(project_id, month): Figures} from a handful of grouped queries."""
    facts: dict = defaultdict(Figures)

    def window(queryset, field_name):
        if date_from:
            queryset = queryset.filter(**{f"{field_name}__gte": date_from})
        if date_to:
            queryset = queryset.filter(**{f"{field_name}__lte": date_to})
        return queryset

    invoices = window(Invoice.objects.exclude(status="draft"), "issue_date")
    for row in (
        invoices.annotate(month=TruncMonth("issue_date"))
        .values("project_id", "month")
        .annotate(net=Sum("net_total"), base=Sum(F("net_total") * F("exchange_rate")))
        .order_by()
    ):
        figures = facts[(row["project_id"], _month(row["month"]))]
        figures.invoiced += row["net"] or 0
        figures.invoiced_base += row["base"] or 0

    delivered = window(
        Registration.objects.filter(status__in=["delivered", "no_show"]), "event__start_date"
    )
    for row in (
        delivered.annotate(month=TruncMonth("event__start_date"))
        .values("project_id", "month")
        .order_by()
        .annotate(
            delivered_places=Sum("places", filter=Q(status="delivered")),
            value=Sum("net_amount", filter=Q(status="delivered")),
            wip=Sum("net_amount", filter=Q(status="delivered", invoiced=False)),
            cost=Sum(F("unit_cost") * F("places")),
        )
    ):
        figures = facts[(row["project_id"], _month(row["month"]))]
        figures.places += row["delivered_places"] or 0
        figures.recognised += row["value"] or 0  # replaced by invoiced below where on_invoice
        figures.wip += row["wip"] or 0
        figures.cost += row["cost"] or 0

    items = window(Item.objects.all(), "date")
    for row in (
        items.annotate(month=TruncMonth("date"))
        .values("project_id", "month")
        .order_by()
        .annotate(
            value=Sum("net_amount", filter=Q(billable=True)),
            wip=Sum("net_amount", filter=Q(billable=True, invoiced=False)),
            cost=Sum(F("unit_cost") * F("quantity")),
        )
    ):
        figures = facts[(row["project_id"], _month(row["month"]))]
        figures.recognised += row["value"] or 0
        figures.wip += row["wip"] or 0
        figures.cost += row["cost"] or 0

    # Delivered events only: like revenue, cost is what has happened, not what is planned.
    events = window(PrivateEvent.objects.filter(status=EventStatus.DELIVERED), "start_date")
    for row in (
        events.annotate(month=TruncMonth("start_date"))
        .values("project_id", "month")
        .order_by()
        .annotate(cost=Sum(F("trainer_fee") + F("venue_cost") + F("other_cost")))
    ):
        facts[(row["project_id"], _month(row["month"]))].cost += row["cost"] or 0
    return facts


@dataclass
class Row:
    label: str
    currency: str
    figures: Figures
    base: dict = field(default_factory=dict)


def profitability(group_by: str = "project", date_from=None, date_to=None, base_currency="EUR"):
    """Rows per (dimension value, currency), and totals in the base currency."""
    facts = project_month_figures(date_from, date_to)
    projects = {
        p.pk: p
        for p in Project.objects.select_related("account", "region", "manager").filter(
            pk__in={key[0] for key in facts}
        )
    }
    rates = _rate_table()
    rows: dict = {}
    base_total = Figures()
    for (project_id, month), figures in sorted(
        facts.items(), key=lambda item: (item[0][1] or datetime.date.min, item[0][0])
    ):
        project = projects[project_id]
        if project.revenue_recognition == "on_invoice":
            figures.recognised = figures.invoiced
        label = _label(group_by, project, month)
        key = (label, project.currency)
        row = rows.setdefault(key, Row(label=label, currency=project.currency, figures=Figures()))
        figures.months.add(month)
        row.figures.add(figures)
        rate = (
            Decimal(1)
            if project.currency == base_currency
            else _rate(rates, project.currency, month)
        )
        converted = Figures(
            places=figures.places,
            invoiced=figures.invoiced_base,
            recognised=(
                figures.invoiced_base
                if project.revenue_recognition == "on_invoice"
                else figures.recognised * (rate or 0)
            ),
            wip=figures.wip * (rate or 0),
            cost=figures.cost * (rate or 0),
        )
        base_total.add(converted)
    ordered = sorted(rows.values(), key=lambda row: (row.label, row.currency))
    return ordered, base_total


def _label(group_by, project, month) -> str:
    if group_by == "account":
        return project.account.name
    if group_by == "region":
        return project.region.name if project.region_id else "No region"
    if group_by == "manager":
        manager = project.manager
        return (manager.get_full_name() or manager.email) if manager else "No manager"
    if group_by == "month":
        return f"{month:%Y-%m}" if month else "—"
    return f"{project.code} {project.name}"


def _rate_table():
    table = defaultdict(list)
    for currency, day, rate in ExchangeRate.objects.order_by("date").values_list(
        "currency", "date", "rate"
    ):
        table[currency].append((day, rate))
    return table


def _rate(rates, currency, month):
    """The rate on or before the month's last day (None when the table has none)."""
    if month is None:
        return None
    end = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - (
        datetime.timedelta(days=1)
    )
    candidates = [rate for day, rate in rates.get(currency, []) if day <= end]
    return candidates[-1] if candidates else None


def dashboard(*, base_currency: str, today=None) -> dict:
    """This month's invoiced revenue, work not yet invoiced, overdue invoices, projects to
    watch (ending within 30 days, or past 80 % of their maximum billing amount)."""
    from django.db.models import DecimalField, OuterRef, Subquery, Value
    from django.db.models.functions import Coalesce
    from django.utils import timezone

    today = today or timezone.localdate()
    month_start = today.replace(day=1)
    this_month = Invoice.objects.exclude(status="draft").filter(issue_date__gte=month_start)
    revenue = this_month.aggregate(total=Sum(F("net_total") * F("exchange_rate")))["total"]
    wip = defaultdict(Decimal)
    for currency, value in (
        Registration.objects.filter(status="delivered", invoiced=False)
        .values_list("project__currency")
        .annotate(v=Sum("net_amount"))
    ):
        wip[currency] += value or 0
    for currency, value in (
        Item.objects.filter(billable=True, invoiced=False)
        .values_list("project__currency")
        .annotate(v=Sum("net_amount"))
    ):
        wip[currency] += value or 0
    overdue = Invoice.objects.filter(status="issued", kind="invoice", due_date__lt=today)
    overdue_by_currency = list(
        overdue.values_list("currency").annotate(total=Sum("gross_total")).order_by("currency")
    )
    billed = Coalesce(
        Subquery(
            Invoice.objects.filter(project=OuterRef("pk"))
            .exclude(status="draft")
            .order_by()
            .values("project")
            .annotate(total=Sum("net_total"))
            .values("total")[:1],
            output_field=DecimalField(max_digits=16, decimal_places=3),
        ),
        Value(Decimal(0), output_field=DecimalField(max_digits=16, decimal_places=3)),
    )
    active = (
        Project.objects.filter(status="active").select_related("account").annotate(billed=billed)
    )
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
        "revenue": revenue or Decimal(0),
        "base_currency": base_currency,
        "wip": sorted(wip.items()),
        "overdue_count": overdue.count(),
        "overdue_by_currency": overdue_by_currency,
        "ending": ending,
        "near_cap": near_cap,
    }
