"""Registrations and items: added with their prices, changed, marked delivered, their prices
overridden until invoiced."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import Account, Contact
from accounts.platform.audit import audit
from accounts.platform.guards import check_tenant, require_active
from accounts.platform.money import format_percent, line_net, round_money
from agreements.models import (
    PrepurchaseAgreement,
    ProductKind,
)
from agreements.pricing import check_places, resolve_prepurchase_price, resolve_price
from projects.billing import COSTED_STATUSES, delivery_date
from projects.models import (
    Item,
    PrivateEvent,
    Project,
    PurchaseOrder,
    Registration,
    RegistrationStatus,
)
from projects.services.budgets import (
    ACTIVE_REGISTRATION,
    NeedsConfirmation,
    apply_budget_policy,
    budget_problems,
)
from projects.services.events import deliver_completed_events
from projects.services.learners import NewLearner, learners_find_or_add

AUTO = object()  # "choose the best eligible discount"


def _require_transactions_allowed(project: Project) -> None:
    if not project.is_active:
        raise ValidationError(
            gettext("%(project)s is %(lower)s: no new registrations or items can be added.")
            % {"project": project, "lower": project.get_status_display().lower()}
        )


def _check_purchase_order(project, purchase_order, po_reference):
    if purchase_order is not None and purchase_order.project_id != project.pk:
        raise ValidationError(gettext("Choose a purchase order of this project."))
    if project.require_purchase_order and purchase_order is None and not po_reference.strip():
        raise ValidationError(
            gettext(
                "This project requires a purchase order: choose one or enter the customer's "
                "reference."
            )
        )


def learner_accounts(project: Project) -> set[int]:
    return {
        project.account_id,
        *Account.objects.filter(parent_id=project.account_id).values_list("pk", flat=True),
    }


@transaction.atomic
def registrations_add(
    *,
    tenant,
    by,
    project: Project,
    event: PrivateEvent,
    learners: Sequence[Contact | None],
    places: int = 1,
    requested_date: datetime.date | None = None,
    purchase_order: PurchaseOrder | None = None,
    po_reference: str = "",
    discount_agreement=AUTO,
    prepurchase=None,
    notes: str = "",
    confirm: bool = False,
    new_learners: Sequence[NewLearner] = (),
) -> list[Registration]:
    """Register named learners (one place each) or a block of `places` without names.
    `new_learners` (typed or pasted: `projects.services.learners`) are found among the
    customer's contacts or added to them, in this transaction: refused or unconfirmed, nothing
    is added.

    Warnings (event full, discount places, budget under 'warning') raise NeedsConfirmation
    unless `confirm` is set; the 'disallow' budget policy refuses with the numbers.
    """
    require_active(tenant)
    check_tenant(tenant, project, event, purchase_order, prepurchase, *learners)
    project = Project.objects.select_for_update().get(pk=project.pk)
    _require_transactions_allowed(project)
    if event.project_id != project.pk:
        raise ValidationError(gettext("Choose an event of this project."))
    _check_purchase_order(project, purchase_order, po_reference)
    named = [learner for learner in learners if learner is not None]
    if new_learners:
        for contact in learners_find_or_add(
            tenant=tenant, by=by, project=project, learners=new_learners
        ):
            if contact not in named:
                named.append(contact)
    allowed_accounts = learner_accounts(project)
    for learner in named:
        if learner.account_id not in allowed_accounts:
            raise ValidationError(
                gettext("%(learner)s is not a contact of %(account_name)s.")
                % {"learner": learner, "account_name": project.account.name}
            )
    rows = [(learner, 1) for learner in named] or [(None, max(1, int(places)))]
    total_places = sum(count for _, count in rows)
    day = requested_date or timezone.localdate()

    if prepurchase is not None:
        prepurchase = PrepurchaseAgreement.objects.select_related("price_list").get(
            pk=prepurchase.pk
        )  # as it is now (status, dates), not as the caller loaded it
        if prepurchase.account_id not in allowed_accounts:
            raise ValidationError(
                gettext("%(prepurchase)s belongs to another customer.")
                % {"prepurchase": prepurchase}
            )
        # Paid from a prepurchase agreement: priced by the agreement (its price list, less its
        # own discount), the same rule invoicing reads. A discount agreement's percentage does
        # not stack on it: the agreement's discount is the one taken.
        paid_from = resolve_prepurchase_price(
            agreement=prepurchase, product=event.product, on_date=day, currency=project.currency
        )
        if discount_agreement not in (AUTO, None):
            raise ValidationError(
                gettext(
                    "A place paid from %(prepurchase)s takes the agreement's own discount "
                    "(%(discount_percent)s %%); %(discount_agreement)s does not add to it: choose "
                    "the automatic discount or none, or register without the prepurchase agreement."
                )
                % {
                    "prepurchase": prepurchase,
                    "discount_percent": format_percent(paid_from.discount_percent),
                    "discount_agreement": discount_agreement,
                }
            )
        quote, discount = paid_from.quote, None
        discount_percent = paid_from.discount_percent
    else:
        quote = resolve_price(
            account=project.account,
            product=event.product,
            on_date=day,
            booking=project.booking,
            currency=project.currency,
            event=event,
            delivery_date=delivery_date(Registration(event=event)),
        )
        if discount_agreement is AUTO:
            discount = quote.best_discount
        elif discount_agreement is None:
            discount = None
        else:
            if discount_agreement not in quote.discounts:
                raise ValidationError(
                    gettext(
                        "%(discount_agreement)s does not apply to this customer, course and date."
                    )
                    % {"discount_agreement": discount_agreement}
                )
            discount = discount_agreement
        discount_percent = discount.percent if discount else Decimal(0)

    warnings: list[str] = []
    if event.capacity is not None:
        taken = (
            Registration.objects.filter(ACTIVE_REGISTRATION, event=event).aggregate(
                n=Sum("places")
            )["n"]
            or 0
        )
        if taken + total_places > event.capacity:
            warnings.append(
                f"{event.title} is full: {taken} of {event.capacity} places are "
                f"taken and {total_places} more are asked for."
            )
    if discount is not None and discount.max_places is not None:
        check = check_places(
            agreement=discount, account=project.account, places=total_places, event_id=event.pk
        )
        if check.exceeds:
            warnings.append(check.warning)
    value = line_net(total_places, quote.unit_price, discount_percent, project.currency)
    apply_budget_policy(
        project,
        budget_problems(
            project,
            event.product,
            Decimal(total_places),
            value,
            purchase_order,
            # A place paid from a prepurchase agreement is priced and covered by that agreement.
            check_agreement=prepurchase is None,
        ),
        warnings,
    )
    if warnings and not confirm:
        raise NeedsConfirmation(warnings)

    created = []
    for learner, count in rows:
        registration = Registration(
            tenant=tenant,
            project=project,
            event=event,
            learner=learner,
            places=count,
            requested_date=day,
            purchase_order=purchase_order,
            po_reference=po_reference.strip(),
            unit_price=quote.unit_price,
            price_source=quote.source,
            price_year=quote.contract_year,
            price_uplift_percent=quote.uplift_percent,
            discount_agreement=discount,
            discount_percent=discount_percent,
            prepurchase=prepurchase,
            unit_cost=round_money(event.product.unit_cost, project.currency),
            notes=notes,
            net_amount=line_net(count, quote.unit_price, discount_percent, project.currency),
        )
        registration.full_clean()
        created.append(registration)
    return Registration.objects.bulk_create(created)


@transaction.atomic
def registration_update(*, tenant, by, registration: Registration, **fields) -> Registration:
    """Change learner, status, purchase order or notes of one registration."""
    require_active(tenant)
    check_tenant(tenant, registration)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    allowed = {"learner", "status", "purchase_order", "po_reference", "notes", "requested_date"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"registration_update cannot change {', '.join(sorted(unknown))}")
    if "status" in fields:
        _check_registration_status(registration, fields["status"])
    for name, value in fields.items():
        setattr(registration, name, value)
    check_tenant(tenant, registration.learner, registration.purchase_order)
    registration.full_clean()
    registration.save()
    return registration


# Set through the cancellation terms (`projects.services.cancellations`), never as a bare status:
# they may leave a fee and credit an invoiced place.
UNDER_TERMS = {
    RegistrationStatus.CANCELLED: "Cancel",
    RegistrationStatus.NO_SHOW: "No-show",
}


def _check_registration_status(registration: Registration, status: str) -> None:
    if status not in RegistrationStatus.values:
        raise ValidationError(gettext("Choose one of the listed statuses."))
    if status != registration.status and status in UNDER_TERMS:
        raise ValidationError(
            gettext(
                "Use “%(status)s” on the registrations tab: it applies the agreement's "
                "cancellation terms (a fee, a credit for an invoiced place) and shows them first."
            )
            % {"status": UNDER_TERMS[status]}
        )
    if status != registration.status and registration.status in UNDER_TERMS:
        raise ValidationError(
            gettext(
                "%(registration)s is %(lower)s, with its fee settled under the terms: register the "
                "place again instead."
            )
            % {"registration": registration, "lower": registration.get_status_display().lower()}
        )
    if registration.invoiced and status == RegistrationStatus.REQUESTED:
        raise ValidationError(
            gettext("%(registration)s is invoiced: credit it before changing it back.")
            % {"registration": registration}
        )


@transaction.atomic
def registrations_set_status(
    *, tenant, by, project: Project, ids: Iterable[int], status: str
) -> StatusChange:
    """Bulk status change (requested, confirmed, delivered) of the selected registrations of one
    project; cancellations and no-shows go through `projects.services.cancellations`.

    When this leaves every place of an event delivered (or a no-show), the event is marked
    delivered too, so its delivery cost is recognised at once (`projects.billing`)."""
    require_active(tenant)
    check_tenant(tenant, project)
    registrations = list(
        Registration.objects.select_for_update().filter(project=project, pk__in=list(ids))
    )
    if not registrations:
        raise ValidationError(gettext("Select at least one registration."))
    for registration in registrations:
        _check_registration_status(registration, status)
    Registration.objects.filter(pk__in=[r.pk for r in registrations]).update(status=status)
    completed = []
    if status in COSTED_STATUSES:
        completed = deliver_completed_events(
            tenant=tenant, by=by, event_ids={r.event_id for r in registrations}
        )
    return StatusChange(count=len(registrations), events_delivered=completed)


@dataclass(frozen=True)
class StatusChange:
    count: int
    events_delivered: list  # events whose last open place this change delivered


@transaction.atomic
def price_override(*, tenant, by, row: Registration | Item, unit_price, reason: str):
    """Override a stored price, with a reason, until the row is invoiced."""
    require_active(tenant)
    check_tenant(tenant, row)
    model = type(row)
    row = model.objects.select_for_update().select_related("project").get(pk=row.pk)
    if row.invoiced:
        raise ValidationError(
            gettext("The price is on an invoice already: credit the line to change it.")
        )
    if getattr(row, "milestone_id", None):  # its amount is the milestone's (services.phases)
        raise ValidationError(
            gettext(
                "This item bills a milestone: change the milestone's amount or percentage instead."
            )
        )
    if not reason.strip():
        raise ValidationError(gettext("Say why the price is overridden."))
    try:
        price = round_money(Decimal(unit_price), row.project.currency)
    except (ArithmeticError, TypeError, ValueError):
        raise ValidationError(gettext("Enter the price as a number, e.g. 950.00.")) from None
    if price < 0:
        raise ValidationError(gettext("A price cannot be negative."))
    before = {"unit_price": row.unit_price, "net_amount": row.net_amount}
    row.unit_price = price
    row.price_overridden = True
    row.override_reason = reason.strip()
    if isinstance(row, Registration):
        row.net_amount = line_net(row.places, price, row.discount_percent, row.project.currency)
    else:
        row.net_amount = line_net(row.quantity, price, 0, row.project.currency)
    row.save(update_fields=["unit_price", "price_overridden", "override_reason", "net_amount"])
    audit(
        tenant=tenant,
        actor=by,
        action="price overridden",
        obj=row,
        before=before,
        after={
            "unit_price": row.unit_price,
            "net_amount": row.net_amount,
            "reason": row.override_reason,
        },
    )
    return row


@transaction.atomic
def item_add(
    *,
    tenant,
    by,
    project: Project,
    product,
    date: datetime.date,
    quantity,
    description: str = "",
    purchase_order: PurchaseOrder | None = None,
    po_reference: str = "",
    billable: bool = True,
    notes: str = "",
    confirm: bool = False,
    phase=None,
) -> Item:
    require_active(tenant)
    check_tenant(tenant, project, product, purchase_order, phase)
    project = Project.objects.select_for_update().get(pk=project.pk)
    if phase is not None and phase.project_id != project.pk:
        raise ValidationError(gettext("Choose a phase of this project."))
    _require_transactions_allowed(project)
    _check_purchase_order(project, purchase_order, po_reference)
    if product.kind == ProductKind.LEARNING_PATH:
        raise ValidationError(
            gettext("Learning paths are pre-arranged offerings and never part of a project.")
        )
    quantity = Decimal(quantity)
    quote = resolve_price(
        account=project.account,
        product=product,
        on_date=date,
        booking=project.booking,
        currency=project.currency,
        delivery_date=delivery_date(Item(date=date)),
    )
    value = line_net(quantity, quote.unit_price, 0, project.currency) if billable else 0
    warnings: list[str] = []
    apply_budget_policy(
        project,
        # A non-billable item costs the customer nothing: it is not held against the agreement.
        budget_problems(
            project, product, quantity, Decimal(value), purchase_order, check_agreement=billable
        ),
        warnings,
    )
    if warnings and not confirm:
        raise NeedsConfirmation(warnings)
    item = Item(
        tenant=tenant,
        project=project,
        product=product,
        date=date,
        quantity=quantity,
        description=description or product.name,
        purchase_order=purchase_order,
        po_reference=po_reference.strip(),
        billable=billable,
        notes=notes,
        phase=phase,
        unit_price=quote.unit_price,
        price_source=quote.source,
        price_year=quote.contract_year,
        price_uplift_percent=quote.uplift_percent,
        unit_cost=round_money(product.unit_cost, project.currency),
        net_amount=line_net(quantity, quote.unit_price, 0, project.currency),
    )
    item.full_clean()
    item.save()
    return item
