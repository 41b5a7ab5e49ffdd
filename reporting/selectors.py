"""Profitability: the one definition of a project's revenue, cost, profit, margin and work in
progress (DESIGN.md, "One vocabulary for money"). The project's overview and profitability tabs,
*Reports → Profitability*, the custom report and the dashboard all read `facts`; the invoices
tab and the maximum billing amount read the same *invoiced* (`invoicing.selectors`), which
`facts` is built on.

- **invoiced**: issued invoice lines net of credit-note lines, in the month of issue (drafts
  never count); in the base currency at each invoice's stored rate. Deposits and their
  deductions are advances, not revenue (`invoicing.selectors.revenue_lines`): a project's
  invoiced total over its life is its work, however much of it a deposit paid in advance;
- **recognised**: what is invoiced, or, for projects recognising revenue on delivery, the net
  amount of delivered places and billable items in the month of their delivery date;
- **work in progress**: the net amount of the part of delivered places and billable items not
  yet on an issued invoice (`wip_value`; a draft is still work in progress);
- **cost**: unit costs of delivered places and no-shows and of items, in the month of their
  delivery date, and the delivery cost of events whose cost is recognised
  (`projects.billing.event_cost_recognised`), in the month they end;
- **profit** = recognised - cost; **margin** = profit / recognised.

Amounts in different currencies are never added together: every row carries its currency, and
totals in the tenant's base currency convert invoiced revenue at the rate stored on each invoice
and other figures at the rate table's rate on or before the month's end.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    DateField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, TruncMonth

from agreements.models import Product
from invoicing.models import (
    ExchangeRate,
    InvoiceKind,
    InvoiceLine,
)
from invoicing.selectors import (
    LINE_PROJECT_ID,
    issued_lines,
    lines_of_projects,
    revenue_lines,
)
from projects.billing import (
    ITEM_DELIVERY,
    REGISTRATION_DELIVERY,
    costed_registrations,
    delivered_registrations,
    earned_registrations,
    event_cost_recognised,
    unit_costs,
)
from projects.models import Item, PrivateEvent, Project, Registration, RevenueRecognition

DIMENSIONS = {
    "project": "Project",
    "account": "Customer",
    "region": "Region",
    "manager": "Manager",
    "project_class": "Project class",
    "month": "Month",
}
MONEY = DecimalField(max_digits=16, decimal_places=3)
QUANTITY = DecimalField(max_digits=10, decimal_places=2)
MEASURES = ["places", "invoiced", "recognised", "wip", "cost", "profit"]
GRAIN = ("project", "product", "event", "month")
TENTH = Decimal("0.1")  # a margin's precision on pages, charts and files


@dataclass
class Figures:
    places: int = 0
    invoiced: Decimal = Decimal(0)
    delivered: Decimal = Decimal(0)  # net amount of what was delivered (recognised on delivery)
    recognised: Decimal = Decimal(0)
    wip: Decimal = Decimal(0)
    cost: Decimal = Decimal(0)
    # The parts of `cost`: events' delivery costs, unit costs of places and of items.
    event_cost: Decimal = Decimal(0)
    place_cost: Decimal = Decimal(0)
    item_cost: Decimal = Decimal(0)
    invoiced_base: Decimal = Decimal(0)
    credited_base: Decimal = Decimal(0)  # the credit notes' part of invoiced_base (negative)
    months: set = field(default_factory=set)

    @property
    def profit(self) -> Decimal:
        return self.recognised - self.cost

    @property
    def margin(self):
        return self.profit / self.recognised * 100 if self.recognised else None

    @property
    def margin_shown(self) -> Decimal | None:
        """The margin as pages (`floatformat:1`), charts and files give it: one decimal place,
        rounded half up; None where nothing was recognised."""
        margin = self.margin
        return None if margin is None else Decimal(margin).quantize(TENTH, ROUND_HALF_UP)

    def add(self, other: "Figures") -> None:
        self.places += other.places
        self.invoiced += other.invoiced
        self.delivered += other.delivered
        self.recognised += other.recognised
        self.wip += other.wip
        self.cost += other.cost
        self.event_cost += other.event_cost
        self.place_cost += other.place_cost
        self.item_cost += other.item_cost
        self.invoiced_base += other.invoiced_base
        self.credited_base += other.credited_base
        self.months |= other.months


def invoiced_units(kind: str) -> Coalesce:
    """How much of a registration or item is on issued invoice lines not credited (drafts do
    not count), for a queryset of `kind` ("registration" or "item")."""
    lines = (
        issued_lines()
        .filter(**{kind: OuterRef("pk")}, invoice__kind=InvoiceKind.INVOICE, credited_by=None)
        .order_by()
        .values(kind)
        # A row split between funders is on one line per payer: each counts its share.
        .annotate(total=Sum(F("quantity") * F("share"), output_field=QUANTITY))
        .values("total")[:1]
    )
    return Coalesce(Subquery(lines, output_field=QUANTITY), Value(Decimal(0), QUANTITY))


def wip_value(kind: str, units_field: str) -> ExpressionWrapper:
    """Work in progress of a row: the net amount of its part not yet invoiced (drafts are
    still work in progress: nothing is invoiced until it is issued)."""
    return ExpressionWrapper(
        F("net_amount") * (F(units_field) - invoiced_units(kind)) / F(units_field),
        output_field=MONEY,
    )


def invoicing_lines(kind: str):
    """The issued invoice lines (not credit notes) not credited of registrations or items
    (`kind`): what `invoiced_units` sums per row."""
    # NOT EXISTS rather than `credited_by=None` (a LEFT JOIN … IS NULL that row-level security
    # makes the planner take for one row, and join by nested loops).
    credits = InvoiceLine.objects.filter(credited_line=OuterRef("pk"))
    return issued_lines().filter(
        ~Exists(credits), **{f"{kind}__isnull": False}, invoice__kind=InvoiceKind.INVOICE
    )


def invoiced_share(kind: str, units_field: str) -> ExpressionWrapper:
    """For those lines: the part of their row's net amount that each invoices (net amount times
    the line's quantity / the row's units).

    The rows' net amount less the invoiced share of their lines is `wip_value` summed: the same
    figure from two grouped queries (rows, lines) instead of a subquery per row, which took
    seconds at 100,000 registrations."""
    return ExpressionWrapper(
        F(f"{kind}__net_amount") * F("quantity") * F("share") / F(f"{kind}__{units_field}"),
        output_field=MONEY,
    )


def prefixed(condition: Q, prefix: str) -> Q:
    """A row's condition, asked from a relation (`registration__`) of another model."""
    children = [
        prefixed(child, prefix) if isinstance(child, Q) else (f"{prefix}{child[0]}", child[1])
        for child in condition.children
    ]
    return Q(*children, _connector=condition.connector, _negated=condition.negated)


def _of_projects(lines, projects):
    """Lines of some projects' rows, by the line's project (`LINE_PROJECT`: an invoice may bill
    several projects; the lines are indexed by it)."""
    return lines if projects is None else lines_of_projects(lines, projects)


def _month(field_name: str) -> Cast:
    # A date, not a timestamp: DATE_TRUNC on PostgreSQL returns timestamptz, which psycopg
    # parsed into a datetime for each of the report's tens of thousands of rows (issue 18).
    return Cast(TruncMonth(field_name, output_field=DateField()), DateField())


def _window(queryset, field_name, date_from, date_to):
    if date_from:
        queryset = queryset.filter(**{f"{field_name}__gte": date_from})
    if date_to:
        queryset = queryset.filter(**{f"{field_name}__lte": date_to})
    return queryset


def facts(
    *,
    grain: Iterable[str] = ("project", "month"),
    projects=None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    today: datetime.date | None = None,
    invoiced_only: bool = False,
) -> dict[tuple, Figures]:
    """{(project_id, product_id, event_id, month): Figures}, from four grouped queries. The
    parts of the key not in `grain` are None (a coarser grain groups less: fewer rows). Dates
    place each figure (see the module's docstring) and bound it to `date_from` to `date_to`.
    `projects`: a queryset or ids to limit to; `recognised` follows each project's rule.
    `invoiced_only`: the invoiced figures alone (one query; the other figures stay zero)."""
    grain = set(grain) | {"project"}
    unknown = grain - set(GRAIN)
    if unknown:
        raise ValueError(f"Unknown grain {sorted(unknown)}")
    cells: dict[tuple, Figures] = defaultdict(Figures)

    def rows(queryset, *, project, product, event, month, product_of=None, **measures):
        names = {"project": project, "product": product, "event": event, "month": month}
        keys = {f"k_{part}": F(path) for part, path in names.items() if part in grain and path}
        if "month" in grain:
            keys["k_month"] = _month(month)
        if projects is not None:
            queryset = queryset.filter(**{f"{project}__in": projects})
        for row in queryset.annotate(**keys).values(*keys).order_by().annotate(**measures):
            if product_of is not None and "k_product" in row:
                row["k_product"] = product_of(row["k_product"])
            yield cells[tuple(row.get(f"k_{part}") for part in GRAIN)], row

    lines = _window(revenue_lines(), "invoice__issue_date", date_from, date_to)
    codes = dict(Product.objects.values_list("code", "pk")) if "product" in grain else {}
    for cell, row in rows(
        lines,
        project=LINE_PROJECT_ID,  # the line's project: an invoice may bill several
        product="product_code",
        event="registration__event_id",
        month="invoice__issue_date",
        product_of=codes.get,  # lines keep the product's code; handling fees have none
        invoiced_net=Sum("net"),
        invoiced_base=Sum(F("net") * F("invoice__exchange_rate")),
        credited_base=Sum(
            F("net") * F("invoice__exchange_rate"),
            filter=Q(invoice__kind=InvoiceKind.CREDIT_NOTE),
        ),
    ):
        cell.invoiced += row["invoiced_net"] or 0
        cell.invoiced_base += row["invoiced_base"] or 0
        cell.credited_base += row["credited_base"] or 0
    if invoiced_only:
        return dict(cells)

    delivered, earned = delivered_registrations(), earned_registrations()
    registrations = _window(
        Registration.objects.filter(costed_registrations()),
        REGISTRATION_DELIVERY,
        date_from,
        date_to,
    )
    for cell, row in rows(
        registrations,
        project="project_id",
        product="event__product_id",
        event="event_id",
        month=REGISTRATION_DELIVERY,
        delivered_places=Sum("places", filter=delivered),
        value=Sum("net_amount", filter=earned),
        cost=Sum(unit_costs("places")),
    ):
        cell.places += row["delivered_places"] or 0
        cell.delivered += row["value"] or 0
        cell.wip += row["value"] or 0  # less what issued lines invoice of it, below
        cell.cost += row["cost"] or 0
        cell.place_cost += row["cost"] or 0
    registration_lines = _window(
        _of_projects(
            invoicing_lines("registration").filter(prefixed(earned, "registration__")),
            projects,
        ),
        f"registration__{REGISTRATION_DELIVERY}",
        date_from,
        date_to,
    )
    for cell, row in rows(
        registration_lines,
        project="registration__project_id",
        product="registration__event__product_id",
        event="registration__event_id",
        month=f"registration__{REGISTRATION_DELIVERY}",
        share=Sum(invoiced_share("registration", "places")),
    ):
        cell.wip -= row["share"] or 0

    items = _window(Item.objects.all(), ITEM_DELIVERY, date_from, date_to)
    billable = Q(billable=True)
    for cell, row in rows(
        items,
        project="project_id",
        product="product_id",
        event=None,
        month=ITEM_DELIVERY,
        value=Sum("net_amount", filter=billable),
        cost=Sum(unit_costs("quantity")),
    ):
        cell.delivered += row["value"] or 0
        cell.wip += row["value"] or 0  # less what issued lines invoice of it, below
        cell.cost += row["cost"] or 0
        cell.item_cost += row["cost"] or 0
    item_lines = _window(
        _of_projects(invoicing_lines("item").filter(prefixed(billable, "item__")), projects),
        f"item__{ITEM_DELIVERY}",
        date_from,
        date_to,
    )
    for cell, row in rows(
        item_lines,
        project="item__project_id",
        product="item__product_id",
        event=None,
        month=f"item__{ITEM_DELIVERY}",
        share=Sum(invoiced_share("item", "quantity")),
    ):
        cell.wip -= row["share"] or 0

    events = _window(
        PrivateEvent.objects.filter(event_cost_recognised(today)), "end_date", date_from, date_to
    )
    for cell, row in rows(
        events,
        project="project_id",
        product="product_id",
        event="id",
        month="end_date",
        cost=Sum(F("trainer_fee") + F("venue_cost") + F("other_cost")),
    ):
        cell.cost += row["cost"] or 0
        cell.event_cost += row["cost"] or 0

    on_invoice = set(
        Project.objects.filter(
            pk__in={key[0] for key in cells},
            revenue_recognition=RevenueRecognition.ON_INVOICE,
        ).values_list("pk", flat=True)
    )
    for key, cell in cells.items():
        cell.recognised = cell.invoiced if key[0] in on_invoice else cell.delivered
    return dict(cells)


def project_figures(project: Project, *, today: datetime.date | None = None) -> Figures:
    """The whole project's figures: what its overview, profitability and invoices tabs show."""
    total = Figures()
    for cell in facts(grain=("project",), projects=[project.pk], today=today).values():
        total.add(cell)
    return total


@dataclass
class Row:
    label: str
    currency: str
    figures: Figures
    base: dict = field(default_factory=dict)


def profitability(
    group_by: str = "project", date_from=None, date_to=None, base_currency="EUR", projects=None
):
    """Rows per (dimension value, currency), sorted by label, and totals in the base currency;
    `projects` (a queryset of ids) limits them (sharing, finished projects left out).

    Aggregated in SQL per project (`facts` at the project grain); per project and month only
    where a month is needed: rows per month, and the base-currency total of projects in another
    currency (their figures convert at the rate of each month's end)."""
    by_month = group_by == "month"
    grain = ("project", "month") if by_month else ("project",)
    cells = facts(grain=grain, projects=projects, date_from=date_from, date_to=date_to)
    projects = {
        p.pk: p
        for p in Project.objects.select_related(
            "account", "region", "manager", "project_class"
        ).filter(pk__in={key[0] for key in cells})
    }
    foreign = [pk for pk, project in projects.items() if project.currency != base_currency]
    if by_month:
        monthly = {key: cell for key, cell in cells.items() if key[0] in foreign}
    elif foreign:
        monthly = facts(
            grain=("project", "month"), projects=foreign, date_from=date_from, date_to=date_to
        )
    else:
        monthly = {}
    rows: dict = {}
    for (project_id, _product, _event, month), figures in cells.items():
        project = projects[project_id]
        label = _label(group_by, project, month)
        key = (label, project.currency)
        row = rows.get(key)
        if row is None:
            row = rows[key] = Row(label=label, currency=project.currency, figures=Figures())
        row.figures.add(figures)
    base_total = Figures()
    for (project_id, _product, _event, _month), figures in cells.items():
        project = projects[project_id]
        if project.currency == base_currency:
            base_total.add(_in_base(project, figures, Decimal(1)))
    rates = _rate_table() if monthly else {}
    for (project_id, _product, _event, month), figures in monthly.items():
        project = projects[project_id]
        base_total.add(_in_base(project, figures, _rate(rates, project.currency, month) or 0))
    ordered = sorted(rows.values(), key=lambda row: (row.label, row.currency))
    return ordered, base_total


def _in_base(project, figures: Figures, rate) -> Figures:
    """A project's figures in the base currency: invoiced revenue at each invoice's stored rate,
    the rest at `rate`."""
    return Figures(
        places=figures.places,
        invoiced=figures.invoiced_base,
        recognised=(
            figures.invoiced_base
            if project.revenue_recognition == RevenueRecognition.ON_INVOICE
            else figures.recognised * rate
        ),
        wip=figures.wip * rate,
        cost=figures.cost * rate,
    )


def _label(group_by, project, month) -> str:
    if group_by == "account":
        return project.account.name
    if group_by == "region":
        return project.region.name if project.region_id else "No region"
    if group_by == "manager":
        manager = project.manager
        return (manager.get_full_name() or manager.email) if manager else "No manager"
    if group_by == "project_class":
        return project.project_class.name if project.project_class_id else "No class"
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
