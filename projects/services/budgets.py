"""Budgets: the booking's committed volumes, purchase orders' values, the products on the
agreement and discount places used, and what the project's budget policy does when a request
goes past them or is for a product outside the agreement."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Q, Sum

from accounts.models import Account
from agreements.models import (
    DiscountAgreement,
    Interest,
)
from agreements.pricing import is_on_agreement
from projects.models import (
    BudgetPolicy,
    Item,
    Project,
    PurchaseOrder,
    Registration,
    RegistrationStatus,
)
from projects.selectors import purchase_order_usage

ACTIVE_REGISTRATION = ~Q(status__in=[RegistrationStatus.CANCELLED])


class NeedsConfirmation(ValidationError):
    """Warnings the user must confirm (capacity, discount places, budget under 'warning')."""

    def __init__(self, warnings: Sequence[str]):
        self.warnings = list(warnings)
        super().__init__(self.warnings, code="needs_confirmation")


def committed_usage(project: Project, product_id: int) -> tuple[int | None, Decimal]:
    """The booking's committed quantity of a product, and how much of it is requested.

    Commitments belong to the framework agreement, so every project on the booking uses them.
    """
    if not project.booking_id:
        return None, Decimal(0)
    interest = Interest.objects.filter(booking_id=project.booking_id, product_id=product_id).first()
    if interest is None or interest.committed_quantity is None:
        return None, Decimal(0)
    places = (
        Registration.objects.filter(
            ACTIVE_REGISTRATION,
            project__booking_id=project.booking_id,
            event__product_id=product_id,
        ).aggregate(n=Sum("places"))["n"]
        or 0
    )
    quantity = (
        Item.objects.filter(
            project__booking_id=project.booking_id,
            product_id=product_id,
            fee_kind="",
            milestone__isnull=True,  # a milestone bills a phase, not volume of the product
        ).aggregate(n=Sum("quantity"))["n"]
        or 0
    )
    return interest.committed_quantity, Decimal(places) + Decimal(quantity)


def purchase_order_used(order: PurchaseOrder) -> Decimal:
    """What is charged to the purchase order already (`projects.selectors`' one definition)."""
    return purchase_order_usage([order.pk]).get(order.pk, Decimal(0))


def agreement_problem(project: Project, product) -> str | None:
    """Why a row of `product` is outside the project's framework agreement, or None: with a
    booking, the product must be agreed on it (an interest) or on its price list."""
    if not project.booking_id or is_on_agreement(project.booking, product):
        return None
    booking = project.booking
    where = "the agreed prices" + (
        f" or to its price list {booking.price_list.name}" if booking.price_list_id else ""
    )
    return (
        f"{product.code} is not on the agreement {booking}: add it to {where}, or choose a "
        "product that is."
    )


def budget_problems(
    project: Project,
    product,
    quantity: Decimal,
    value: Decimal,
    purchase_order: PurchaseOrder | None,
    *,
    check_agreement: bool = True,
) -> list[str]:
    """What a request of `quantity` of `product` worth `value` runs into under the project's
    budget: a product outside the agreement (unless `check_agreement` is off), the booking's
    committed volume, the purchase order's cap. `apply_budget_policy` decides what happens."""
    problems = []
    if check_agreement:
        outside = agreement_problem(project, product)
        if outside:
            problems.append(outside)
    committed, used = committed_usage(project, product.pk)
    if committed is not None and used + quantity > committed:
        problems.append(
            f"{product.code}: the booking commits {committed}; {used.normalize():f} are requested "
            f"already, so {quantity.normalize():f} more would make "
            f"{(used + quantity).normalize():f}."
        )
    if purchase_order is not None and purchase_order.value_cap is not None:
        used_value = purchase_order_used(purchase_order)
        if used_value + value > purchase_order.value_cap:
            left = purchase_order.value_cap - used_value
            problems.append(
                f"Purchase order {purchase_order.number} has {left:,.2f} {project.currency} "
                f"left of {purchase_order.value_cap:,.2f}; this adds {value:,.2f}."
            )
    return problems


def apply_budget_policy(project: Project, problems: list[str], warnings: list[str]) -> None:
    if not problems or project.budget_policy == BudgetPolicy.NONE:
        return
    if project.budget_policy == BudgetPolicy.DISALLOW:
        raise ValidationError([*problems, "The project's budget policy refuses this."])
    warnings.extend(problems)


def discount_places_used(
    agreement: DiscountAgreement, account: Account, event_id: int | None
) -> int:
    """Places a customer took under a discount agreement (registered with agreements.pricing)."""
    registrations = Registration.objects.filter(
        ACTIVE_REGISTRATION, discount_agreement=agreement, project__account=account
    )
    if event_id is not None:
        registrations = registrations.filter(event_id=event_id)
    return registrations.aggregate(n=Sum("places"))["n"] or 0
