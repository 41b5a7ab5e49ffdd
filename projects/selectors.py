"""Reads shared by the project pages, invoicing and reports."""

import datetime
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from accounts.platform.built_once import built_once_per_scope
from accounts.platform.search import SearchHit, first_hits, text_filter
from agreements.models import Interest
from projects.billing import ORDERED_STATUSES, charged_registrations, delivered_registrations
from projects.models import (
    Item,
    PrivateEvent,
    Project,
    ProjectSettings,
    PurchaseOrder,
    Registration,
    RegistrationStatus,
)
from projects.sharing_models import visible_q

MONEY = DecimalField(max_digits=16, decimal_places=3)
ZERO = Value(Decimal(0), output_field=MONEY)


def _sum(queryset, field, output=MONEY):
    """A correlated subquery summing `field` per project (no join fan-out between tables)."""
    return Coalesce(
        Subquery(
            queryset.filter(project=OuterRef("pk"))
            .order_by()
            .values("project")
            .annotate(total=Sum(field))
            .values("total")[:1],
            output_field=output,
        ),
        Value(0, output_field=output) if output is not MONEY else ZERO,
    )


@built_once_per_scope  # its subqueries cost 1 ms to build on each list (issue 18)
def project_list() -> QuerySet[Project]:
    """Projects with their ordered places and value, in one query. What is invoiced and the
    profit of each project are on Reports → Profitability (one definition, in `reporting`)."""
    ordered_registrations = Registration.objects.filter(status__in=ORDERED_STATUSES)
    billable_items = Item.objects.filter(billable=True)
    return (
        # The customer only: the lists show no manager or booking (exports read their names
        # by lookups), and every joined table is planned and read on each page.
        Project.objects.select_related("account")
        .annotate(
            places=_sum(ordered_registrations, "places", IntegerField()),
            ordered_value=_sum(ordered_registrations, "net_amount")
            + _sum(billable_items, "net_amount"),
        )
        .order_by("-start_date", "-code")
    )


def project_detail() -> QuerySet[Project]:
    """Projects (the caller picks one) with what a project's header and overview show. The booking
    and the parent project (often empty) are left to a query of their own when the page reads them,
    which happens only when they are set: PostgreSQL spent 2 to 4 ms planning the seven-table join
    (its execution: 0.2 ms), and `prefetch_related()` compiled their queries even when empty, to run
    none (0.5 ms a page; issue 18)."""
    return Project.objects.select_related(
        "account", "billing_account", "main_contact", "region", "manager"
    )


def project_page() -> QuerySet[Project]:
    """`project_detail` for reading the overview: of the joined rows, only what it shows."""
    return _with_related_shown(
        project_detail(),
        "account__name",
        "billing_account__name",
        "main_contact__first_name",
        "main_contact__last_name",
        "region__name",
        "manager__first_name",
        "manager__last_name",
        "manager__email",
    )


def _with_related_shown(rows: QuerySet[Project], *shown: str) -> QuerySet[Project]:
    """`rows` with every column of the project and, of its joined rows, only the `shown` ones
    and the tenant their links read: the joins fetched every column of five tables (111 on the
    overview), each compiled into the query and read into a model for a name or two."""
    tenant_owned = {
        name
        for name in (shown_field.split("__", 1)[0] for shown_field in shown)
        if hasattr(Project._meta.get_field(name).related_model, "tenant_id")
    }
    return rows.only(
        *(field.name for field in Project._meta.concrete_fields),
        *shown,
        *(f"{name}__tenant" for name in sorted(tenant_owned)),
    )


def overview_lists(project: Project, membership) -> dict:
    """The overview's lists of the project's set-up: the codes of its products, and the
    sub-projects `membership` may see (`visible_q`)."""
    sub_projects = project.sub_projects.filter(visible_q(membership)).order_by("code")
    return {
        "product_codes": list(project.products.values_list("product__code", flat=True)),
        "sub_projects": list(sub_projects.only("tenant", "code", "name", "status")),
    }


def project_header() -> QuerySet[Project]:
    """Projects (the caller picks one) with what every tab's header shows (the customer, the booking
    and the parent project): the tabs that show no more (`ProjectDetailView.HEADER_ONLY_TABS`) skip
    the four joins of the overview's details, about 3 ms a page (issue 18). The booking and the
    parent are read as `project_detail` says."""
    return _with_related_shown(Project.objects.select_related("account"), "account__name")


def registrations_of(project: Project) -> QuerySet[Registration]:
    """Newest first: an index order, so a page of a large project needs no join-and-sort of
    every row (sorting by event date stays one click away)."""
    # The purchase order (on few rows) is not joined: PostgreSQL planned the six-table join for
    # 1.5 ms a page (issue 18). The table fetches the page's own (`RegistrationTable`), the
    # export reads its number through the exporter's path.
    return (
        Registration.objects.filter(project=project)
        .select_related("event", "learner")
        .order_by("-pk")
    )


def items_of(project: Project) -> QuerySet[Item]:
    return Item.objects.filter(project=project).select_related("product", "purchase_order")


def event_choices(project: Project) -> list[tuple[int, str]]:
    """The project's events as the registrations tab's filter offers them: (id, label)."""
    events = PrivateEvent.objects.filter(project=project).only("tenant", "title", "start_date")
    return [(event.pk, str(event)) for event in events]


def events_of(project: Project) -> QuerySet[PrivateEvent]:
    taken = Registration.objects.filter(~Q(status=RegistrationStatus.CANCELLED))
    return (
        PrivateEvent.objects.filter(project=project)
        .select_related("product")
        .annotate(taken=_event_places(taken))
    )


def _event_places(queryset):
    return Coalesce(
        Subquery(
            queryset.filter(event=OuterRef("pk"))
            .order_by()
            .values("event")
            .annotate(n=Sum("places"))
            .values("n")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def project_totals(project: Project) -> dict:
    """What the customer ordered on the project (places and items not cancelled), and how many
    places are delivered. Delivered value, invoiced, cost and profit come from the one
    profitability definition (`reporting.selectors.facts`), shown by reporting's panel."""
    ordered = Q(status__in=ORDERED_STATUSES)
    registrations = Registration.objects.filter(project=project).aggregate(
        requested_places=Coalesce(Sum("places", filter=ordered), 0),
        delivered_places=Coalesce(Sum("places", filter=delivered_registrations()), 0),
        requested_value=Coalesce(Sum("net_amount", filter=ordered), ZERO),
        count=Count("pk"),
    )
    items = Item.objects.filter(project=project).aggregate(
        items_value=Coalesce(Sum("net_amount", filter=Q(billable=True)), ZERO),
        item_count=Count("pk"),
    )
    totals = {**registrations, **items}
    totals["ordered_total"] = totals["requested_value"] + totals["items_value"]
    return totals


def burn_down(project: Project) -> list[dict]:
    """Per agreed product of the booking: committed, requested, delivered, invoiced, remaining,
    in units and money, across every project on the booking (commitments are the booking's)."""
    if not project.booking_id:
        return []
    interests = list(
        Interest.objects.filter(booking_id=project.booking_id)
        .select_related("product")
        .order_by("product__code")
    )
    on_booking = Q(project__booking_id=project.booking_id)
    by_product = {}
    registration_rows = (
        Registration.objects.filter(on_booking, status__in=ORDERED_STATUSES)
        .order_by()
        .values("event__product_id")
        .annotate(
            requested=Sum("places"),
            requested_value=Sum("net_amount"),
            delivered=Sum("places", filter=delivered_registrations()),
            billed_units=Sum("billed_quantity"),
        )
    )
    for row in registration_rows:
        by_product[row["event__product_id"]] = row
    item_rows = (
        # Neither a fee nor a milestone is volume of the course.
        Item.objects.filter(on_booking, fee_kind="", milestone__isnull=True)
        .order_by()
        .values("product_id")
        .annotate(
            requested=Sum("quantity"),
            requested_value=Sum("net_amount"),
            delivered=Sum("quantity"),
            billed_units=Sum("billed_quantity"),
        )
    )
    for row in item_rows:
        merged = by_product.setdefault(row["product_id"], {})
        for key in (
            "requested",
            "requested_value",
            "delivered",
            "billed_units",
        ):
            merged[key] = (merged.get(key) or 0) + (row[key] or 0)
    rows = []
    for interest in interests:
        used = by_product.get(interest.product_id, {})
        committed = interest.committed_quantity
        requested = used.get("requested") or 0
        rows.append(
            {
                "product": interest.product,
                "unit_price": interest.unit_price,
                "committed": committed,
                "committed_value": interest.committed_value,
                "requested": requested,
                "requested_value": used.get("requested_value") or Decimal(0),
                "delivered": used.get("delivered") or 0,
                "billed": used.get("billed_units") or 0,
                "remaining": None if committed is None else committed - requested,
                "remaining_value": None
                if committed is None
                else (committed - requested) * interest.unit_price,
                "over": committed is not None and requested > committed,
            }
        )
    return rows


def purchase_order_usage(orders) -> dict[int, Decimal]:
    """What is charged to each purchase order (a queryset or ids): the net amount of its
    registrations charged as places (`charged_registrations`) and of its items, fees included.
    Budgets and the overview read this."""
    used: dict[int, Decimal] = {}
    for rows in (
        Registration.objects.filter(charged_registrations(), purchase_order__in=orders),
        Item.objects.filter(purchase_order__in=orders),
    ):
        for order_id, total in (
            rows.order_by().values_list("purchase_order_id").annotate(total=Sum("net_amount"))
        ):
            used[order_id] = used.get(order_id, Decimal(0)) + (total or Decimal(0))
    return used


def purchase_orders_of(project: Project) -> list[PurchaseOrder]:
    orders = list(PurchaseOrder.objects.filter(project=project))
    used = purchase_order_usage([order.pk for order in orders])
    for order in orders:
        order.used = used.get(order.pk, Decimal(0))
        order.remaining = None if order.value_cap is None else order.value_cap - order.used
    return orders


def project_settings(tenant) -> ProjectSettings:
    """The company's project settings: its row, or the defaults (unsaved) when it has none."""
    return ProjectSettings.objects.filter(tenant=tenant).first() or ProjectSettings(tenant=tenant)


# --- The search box (accounts.platform.search) ---------------------------------------------------


def _shared(request, path):
    return visible_q(getattr(request, "membership", None), path)


def search_projects(request, query: str, limit: int):
    projects = text_filter(
        Project.objects.filter(visible_q(getattr(request, "membership", None))).select_related(
            "account"
        ),
        query,
        ["code", "name", "account__name", "tags"],
    )
    return first_hits(
        projects.order_by("-start_date", "code"),
        limit,
        lambda project: SearchHit(
            title=str(project),
            url=project.get_absolute_url(),
            detail=f"{project.account.name} · {project.get_status_display()}",
        ),
    )


def search_events(request, query: str, limit: int):
    events = text_filter(
        PrivateEvent.objects.filter(
            visible_q(getattr(request, "membership", None), "project__")
        ).select_related("project"),
        query,
        ["title", "venue", "trainer", "project__code"],
    )
    return first_hits(
        events.order_by("-start_date", "pk"),
        limit,
        lambda event: SearchHit(
            title=str(event),
            url=event.project.get_absolute_url() + "events/",
            detail=" · ".join(filter(None, [event.project.code, event.venue, event.trainer])),
        ),
    )


# --- The events calendar ----------------------------------------------------------------------


def calendar_events(
    start: datetime.date,
    end: datetime.date,
    *,
    shared=None,
    project: str = "",
    customer: str = "",
    trainer: str = "",
    venue: str = "",
) -> list:
    """The company's private events running on any day from `start` to `end` (at most 2,001:
    past `CALENDAR_LIMIT` the page shows the first ones and says so),
    as light rows (`pk`, `project_id`, dates, `trainer`, `venue`, `status`): enough to place
    them on their days and find double bookings; `calendar_event_details` loads the ones a page
    shows. The filters are parts of the project's code or name, the customer's name, the
    trainer's and the venue's; `shared` the sharing rule on projects
    (`projects.access.shared_with`)."""
    events = PrivateEvent.objects.filter(start_date__lte=end, end_date__gte=start)
    if shared is not None:
        events = events.filter(shared)
    if project.strip():
        events = events.filter(
            Q(project__code__icontains=project.strip())
            | Q(project__name__icontains=project.strip())
        )
    if customer.strip():
        events = events.filter(project__account__name__icontains=customer.strip())
    if trainer.strip():
        events = events.filter(trainer__icontains=trainer.strip())
    if venue.strip():
        events = events.filter(venue__icontains=venue.strip())
    return list(
        events.order_by("start_date", "title", "pk").values_list(
            "pk", "project_id", "start_date", "end_date", "trainer", "venue", "status", named=True
        )[: CALENDAR_LIMIT + 1]  # one more: the page can tell "exactly the limit" from "more"
    )


CALENDAR_LIMIT = 2000


def calendar_event_details(ids) -> dict[int, PrivateEvent]:
    """{id: event} with its project and customer, and its places taken (`taken`, cancelled
    places left out), for the events a calendar page shows, in one query."""
    events = (
        PrivateEvent.objects.filter(pk__in=list(ids))
        .select_related("project__account")
        .annotate(
            taken=Coalesce(
                Sum("registrations__places", filter=~Q(registrations__status="cancelled")), 0
            )
        )
    )
    return {event.pk: event for event in events}


def double_bookings(event: PrivateEvent) -> list[tuple[str, PrivateEvent]]:
    """Other events, not cancelled, on overlapping days with the same trainer or venue (names
    compared without case): [("trainer" | "venue", event)]."""
    clashes = []
    for field in ("trainer", "venue"):
        value = (getattr(event, field) or "").strip()
        if not value:
            continue
        others = (
            PrivateEvent.objects.filter(
                start_date__lte=event.end_date,
                end_date__gte=event.start_date,
                **{f"{field}__iexact": value},
            )
            .exclude(pk=event.pk)
            .exclude(status="cancelled")
            .select_related("project")
            .order_by("start_date", "pk")[:5]
        )
        clashes.extend((field, other) for other in others)
    return clashes


def still_to_invoice(project: Project) -> dict:
    """What of the project can be invoiced now (`projects.billing`'s rule) and its net value not
    yet on a live invoice line: said before the project is finished (issue 17)."""
    from accounts.platform.money import round_money
    from projects.billing import due_value, invoiceable_items, invoiceable_registrations

    registrations = Registration.objects.filter(project=project).filter(invoiceable_registrations())
    items = Item.objects.filter(project=project).filter(invoiceable_items())
    totals = [
        queryset.aggregate(count=Count("pk"), value=Sum(due_value(units)))
        for queryset, units in ((registrations, "places"), (items, "quantity"))
    ]
    value = sum((row["value"] or Decimal(0) for row in totals), Decimal(0))
    return {
        "registrations": totals[0]["count"],
        "items": totals[1]["count"],
        "value": round_money(value, project.currency),
    }


# --- One invoicing selection of a project ------------------------------------------------------

READY_LIMIT = 200


def ready_to_invoice(project: Project) -> dict:
    """The project's registrations and items that can be invoiced now (`projects.billing`'s
    rule), each with its due net amount, for one selection across both (the project's invoices
    tab): the first READY_LIMIT of each, and how many there are."""
    (ready,) = ready_to_invoice_across([project])
    return ready


def ready_to_invoice_across(projects) -> list[dict]:
    """`ready_to_invoice` for several projects at once (a billing account's review page: one
    invoice across its projects), in two queries however many projects: per project, its
    `project`, `ready_problem`, `ready_registrations`, `ready_items` (the first READY_LIMIT of
    each kind across the projects) and `ready_more`."""
    from projects.billing import (
        due_value,
        invoiceable_items,
        invoiceable_registrations,
        project_problem,
    )

    problems = {project.pk: project_problem(project) for project in projects}
    open_ids = [pk for pk, problem in problems.items() if not problem]
    registrations = (
        Registration.objects.filter(invoiceable_registrations(), project__in=open_ids)
        .select_related("event", "learner")
        .annotate(due=due_value("places"))
        .order_by("event__start_date", "pk")
    )
    items = (
        Item.objects.filter(invoiceable_items(), project__in=open_ids)
        .select_related("product")
        .annotate(due=due_value("quantity"))
        .order_by("date", "pk")
    )
    ready_registrations = list(registrations[: READY_LIMIT + 1]) if open_ids else []
    ready_items = list(items[: READY_LIMIT + 1]) if open_ids else []
    more = len(ready_registrations) > READY_LIMIT or len(ready_items) > READY_LIMIT
    for row in ready_registrations:
        row.label = str(row)
    for row in ready_items:
        row.label = row.description or row.product.name
    ready_registrations, ready_items = (
        ready_registrations[:READY_LIMIT],
        ready_items[:READY_LIMIT],
    )
    return [
        {
            "project": project,
            "ready_problem": problems[project.pk] or "",
            "ready_registrations": [r for r in ready_registrations if r.project_id == project.pk],
            "ready_items": [r for r in ready_items if r.project_id == project.pk],
            "ready_more": more,
        }
        for project in projects
    ]
