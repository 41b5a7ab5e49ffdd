"""Reads shared by the project pages, invoicing and reports."""

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

from agreements.models import Interest
from projects.models import (
    EventStatus,
    Item,
    PrivateEvent,
    Project,
    PurchaseOrder,
    Registration,
    RegistrationStatus,
)

MONEY = DecimalField(max_digits=16, decimal_places=3)
ZERO = Value(Decimal(0), output_field=MONEY)
BILLABLE_STATUSES = [
    RegistrationStatus.REQUESTED,
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.DELIVERED,
]


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


def project_list() -> QuerySet[Project]:
    """Projects with their registrations and invoiced and uninvoiced value, in one query."""
    open_registrations = Registration.objects.filter(status__in=BILLABLE_STATUSES)
    billable_items = Item.objects.filter(billable=True)
    return (
        Project.objects.select_related("account", "manager", "booking")
        .annotate(
            places=_sum(open_registrations, "places", IntegerField()),
            invoiced_value=_sum(open_registrations.filter(invoiced=True), "net_amount")
            + _sum(billable_items.filter(invoiced=True), "net_amount"),
            uninvoiced_value=_sum(open_registrations.filter(invoiced=False), "net_amount")
            + _sum(billable_items.filter(invoiced=False), "net_amount"),
        )
        .order_by("-start_date", "-code")
    )


def project_detail(pk) -> QuerySet[Project]:
    return Project.objects.select_related(
        "account", "billing_account", "booking", "parent", "main_contact", "region", "manager"
    )


def registrations_of(project: Project) -> QuerySet[Registration]:
    """Newest first: an index order, so a page of a large project needs no join-and-sort of
    every row (sorting by event date stays one click away)."""
    return (
        Registration.objects.filter(project=project)
        .select_related(
            "event", "event__product", "learner", "purchase_order", "discount_agreement"
        )
        .order_by("-pk")
    )


def items_of(project: Project) -> QuerySet[Item]:
    return Item.objects.filter(project=project).select_related("product", "purchase_order")


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
    """Places and money of the project, by state: what the overview and burn-down show."""
    registrations = Registration.objects.filter(project=project).aggregate(
        requested_places=Coalesce(Sum("places", filter=Q(status__in=BILLABLE_STATUSES)), 0),
        delivered_places=Coalesce(Sum("places", filter=Q(status=RegistrationStatus.DELIVERED)), 0),
        requested_value=Coalesce(Sum("net_amount", filter=Q(status__in=BILLABLE_STATUSES)), ZERO),
        delivered_value=Coalesce(
            Sum("net_amount", filter=Q(status=RegistrationStatus.DELIVERED)), ZERO
        ),
        invoiced_value=Coalesce(Sum("net_amount", filter=Q(invoiced=True)), ZERO),
        registration_cost=Coalesce(
            Sum(
                _unit_cost_times("places"),
                filter=Q(status__in=[RegistrationStatus.DELIVERED, RegistrationStatus.NO_SHOW]),
            ),
            ZERO,
        ),
        count=Count("pk"),
    )
    items = Item.objects.filter(project=project).aggregate(
        items_value=Coalesce(Sum("net_amount", filter=Q(billable=True)), ZERO),
        items_invoiced=Coalesce(Sum("net_amount", filter=Q(billable=True, invoiced=True)), ZERO),
        items_cost=Coalesce(Sum(_unit_cost_times("quantity")), ZERO),
        item_count=Count("pk"),
    )
    events = (
        PrivateEvent.objects.filter(project=project)
        .exclude(status=EventStatus.CANCELLED)
        .aggregate(
            event_cost=Coalesce(Sum("trainer_fee"), ZERO)
            + Coalesce(Sum("venue_cost"), ZERO)
            + Coalesce(Sum("other_cost"), ZERO),
            event_count=Count("pk"),
        )
    )
    totals = {**registrations, **items, **events}
    totals["invoiced_total"] = totals["invoiced_value"] + totals["items_invoiced"]
    totals["delivered_total"] = totals["delivered_value"] + totals["items_value"]
    totals["ordered_total"] = totals["requested_value"] + totals["items_value"]
    totals["uninvoiced_total"] = totals["ordered_total"] - totals["invoiced_total"]
    totals["cost_total"] = totals["registration_cost"] + totals["items_cost"] + totals["event_cost"]
    recognised = (
        totals["invoiced_total"]
        if project.revenue_recognition == "on_invoice"
        else totals["delivered_total"]
    )
    totals["recognised_revenue"] = recognised
    totals["profit"] = recognised - totals["cost_total"]
    totals["margin"] = (totals["profit"] / recognised * 100) if recognised else None
    return totals


def _unit_cost_times(field):
    from django.db.models import F

    return F("unit_cost") * F(field)


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
        Registration.objects.filter(on_booking, status__in=BILLABLE_STATUSES)
        .order_by()
        .values("event__product_id")
        .annotate(
            requested=Sum("places"),
            requested_value=Sum("net_amount"),
            delivered=Sum("places", filter=Q(status=RegistrationStatus.DELIVERED)),
            invoiced_units=Sum("places", filter=Q(invoiced=True)),
            invoiced_value=Sum("net_amount", filter=Q(invoiced=True)),
        )
    )
    for row in registration_rows:
        by_product[row["event__product_id"]] = row
    item_rows = (
        Item.objects.filter(on_booking)
        .order_by()
        .values("product_id")
        .annotate(
            requested=Sum("quantity"),
            requested_value=Sum("net_amount"),
            delivered=Sum("quantity"),
            invoiced_units=Sum("quantity", filter=Q(invoiced=True)),
            invoiced_value=Sum("net_amount", filter=Q(invoiced=True)),
        )
    )
    for row in item_rows:
        merged = by_product.setdefault(row["product_id"], {})
        for key in (
            "requested",
            "requested_value",
            "delivered",
            "invoiced_units",
            "invoiced_value",
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
                "invoiced": used.get("invoiced_units") or 0,
                "invoiced_value": used.get("invoiced_value") or Decimal(0),
                "remaining": None if committed is None else committed - requested,
                "remaining_value": None
                if committed is None
                else (committed - requested) * interest.unit_price,
                "over": committed is not None and requested > committed,
            }
        )
    return rows


def purchase_orders_of(project: Project) -> list[PurchaseOrder]:
    orders = list(PurchaseOrder.objects.filter(project=project))
    used = {}
    for model in (Registration, Item):
        rows = model.objects.filter(purchase_order__project=project)
        if model is Registration:
            rows = rows.exclude(status=RegistrationStatus.CANCELLED)
        for row in rows.values("purchase_order_id").annotate(total=Sum("net_amount")):
            used[row["purchase_order_id"]] = used.get(row["purchase_order_id"], 0) + row["total"]
    for order in orders:
        order.used = used.get(order.pk, Decimal(0))
        order.remaining = None if order.value_cap is None else order.value_cap - order.used
    return orders
