"""Change a project's currency (issue 13, part 6): for a project priced in the wrong currency
and not invoiced yet. Every registration and item is priced again from the agreement in the new
currency by the one price resolver (`agreements.pricing`), as if it were added today with its own
dates; the user sees each row's price before and after first, and the change is audited."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.platform.audit import audit
from accounts.platform.guards import check_tenant, require_active
from accounts.platform.money import line_net, round_money, validate_currency
from accounts.platform.registry import Hook
from agreements.pricing import resolve_price
from projects.billing import delivery_date
from projects.models import Item, PrivateEvent, Project, PurchaseOrder, Registration

# (project) -> how many invoices, credit notes and drafts name the project: invoicing's
# definition, which projects may not import (filled in invoicing's `ready()`).
ProjectInvoiceCount = Callable[[Project], int]
project_invoice_count: Hook[ProjectInvoiceCount] = Hook("project invoice count")


@dataclass(frozen=True)
class Repriced:
    row: Registration | Item
    old_price: Decimal
    new_price: Decimal
    old_net: Decimal
    new_net: Decimal
    overridden: bool  # its price was typed in by hand: the agreement's price replaces it

    @property
    def label(self) -> str:
        kind = _("Registration") if isinstance(self.row, Registration) else _("Item")
        return f"{kind}: {self.row}"


@dataclass
class CurrencyChange:
    project: Project
    old_currency: str
    new_currency: str
    rows: list[Repriced] = field(default_factory=list)
    # Amounts the project keeps as typed (costs, caps): the user should check them.
    kept: list[str] = field(default_factory=list)

    @property
    def old_total(self) -> Decimal:
        return sum((r.old_net for r in self.rows), Decimal(0))

    @property
    def new_total(self) -> Decimal:
        return sum((r.new_net for r in self.rows), Decimal(0))


def _refusal(project: Project, currency: str) -> str | None:
    counter = project_invoice_count.function
    if counter is not None and counter(project):
        return _(
            "%(project)s has invoices or drafts in %(currency)s: its currency can no longer "
            "change. Credit or delete them first, or start a new project."
        ) % {"project": project.code, "currency": project.currency}
    rows = [Registration.objects.filter(project=project), Item.objects.filter(project=project)]
    if any(q.filter(invoiced=True).first() is not None for q in rows):
        return _(
            "Registrations or items of %(project)s are on an invoice: its currency can no "
            "longer change."
        ) % {"project": project.code}
    if Registration.objects.filter(project=project, prepurchase__isnull=False).first() is not None:
        return _(
            "Places of %(project)s are paid from a prepurchase agreement in %(currency)s: move "
            "them off the agreement first."
        ) % {"project": project.code, "currency": project.currency}
    if Item.objects.filter(project=project).exclude(fee_kind="").first() is not None:
        return _(
            "%(project)s has cancellation or no-show fees worked out in %(currency)s: its "
            "currency can no longer change."
        ) % {"project": project.code, "currency": project.currency}
    event = PrivateEvent.objects.filter(project=project, unit_price__isnull=False).first()
    if event is not None:
        return _(
            "%(event)s has its own price in %(currency)s: clear the event's price first, or "
            "enter it again after the change."
        ) % {"event": event.title, "currency": project.currency}
    sales_currency = project.account.sales_currency
    if sales_currency and sales_currency != currency:
        return _("%(account)s buys in %(currency)s: the project must use it.") % {
            "account": project.account.name,
            "currency": sales_currency,
        }
    return None


def _reprice(project: Project, row, currency: str) -> Repriced:
    registration = isinstance(row, Registration)
    product = row.event.product if registration else row.product
    quote = resolve_price(
        account=project.account,
        product=product,
        on_date=row.requested_date if registration else row.date,
        booking=project.booking,
        currency=currency,
        event=row.event if registration else None,
        delivery_date=delivery_date(row),
    )
    quantity = row.places if registration else row.quantity
    discount = row.discount_percent if registration else Decimal(0)
    billable = registration or row.billable
    new_net = line_net(quantity, quote.unit_price, discount, currency) if billable else Decimal(0)
    change = Repriced(
        row=row,
        old_price=row.unit_price,
        new_price=quote.unit_price,
        old_net=row.net_amount,
        new_net=new_net,
        overridden=row.price_overridden,
    )
    row.unit_price = quote.unit_price
    row.price_source = quote.source
    row.price_year = quote.contract_year
    row.price_uplift_percent = quote.uplift_percent
    row.price_overridden, row.override_reason = False, ""
    row.unit_cost = round_money(row.unit_cost, currency)
    row.net_amount = new_net
    return change


@transaction.atomic
def project_currency_change(
    *, tenant, by, project: Project, currency: str, confirm: bool = False
) -> CurrencyChange:
    """What changing `project`'s currency does to each row (`confirm=False`: nothing is
    written), or does it (`confirm=True`). Refused once anything of the project is invoiced or
    on a draft, and where a row's price cannot be found in the new currency."""
    require_active(tenant)
    check_tenant(tenant, project)
    currency = (currency or "").strip().upper()
    validate_currency(currency)
    project = (
        Project.objects.select_for_update(of=("self",))
        .select_related("account", "booking", "booking__price_list")
        .get(pk=project.pk)
    )
    if currency == project.currency:
        raise ValidationError(_("The project is in %(currency)s already.") % {"currency": currency})
    refusal = _refusal(project, currency)
    if refusal:
        raise ValidationError(refusal)
    change = CurrencyChange(project=project, old_currency=project.currency, new_currency=currency)
    registrations = Registration.objects.filter(project=project).select_related(
        "event", "event__product", "learner"
    )
    items = Item.objects.filter(project=project).select_related("product")
    change.rows = [_reprice(project, row, currency) for row in [*registrations, *items]]
    if (
        PrivateEvent.objects.filter(project=project)
        .exclude(trainer_fee=0, venue_cost=0, other_cost=0)
        .first()
    ):
        change.kept.append(_("the events' trainer, venue and other costs"))
    if project.max_billing_amount is not None:
        change.kept.append(_("the maximum billing amount"))
    if PurchaseOrder.objects.filter(project=project, value_cap__isnull=False).first():
        change.kept.append(_("the purchase orders' values"))
    if not confirm:
        return change
    fields = [
        "unit_price",
        "price_source",
        "price_year",
        "price_uplift_percent",
        "price_overridden",
        "override_reason",
        "unit_cost",
        "net_amount",
    ]
    Registration.objects.bulk_update(
        [r.row for r in change.rows if r.row.__class__ is Registration], fields
    )
    Item.objects.bulk_update([r.row for r in change.rows if r.row.__class__ is Item], fields)
    project.currency = currency
    project.full_clean()
    project.save(update_fields=["currency"])
    audit(
        tenant=tenant,
        actor=by,
        action="project currency changed",
        obj=project,
        before={
            "currency": change.old_currency,
            "ordered": str(change.old_total),
            "rows": "; ".join(f"{r.label}: {r.old_price}" for r in change.rows),
        },
        after={
            "currency": currency,
            "ordered": str(change.new_total),
            "rows": "; ".join(f"{r.label}: {r.new_price}" for r in change.rows),
        },
    )
    return change
