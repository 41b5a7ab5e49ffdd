"""Price resolution and discounts (DESIGN.md, "Prices" and "Discount agreements").

A unit price comes from, in this order: the booking's interest for the product, the booking's
price list, the product's default price. A discount agreement then takes off its percentage.
Amounts are never converted between currencies: a mismatch is an error that says what to add.

Places used under a discount agreement are counted by registrations, which live in `projects`;
that app registers the counter with `register_places_counter` so this module never imports it.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Q

from accounts.models import Account
from accounts.money import round_money
from agreements.models import (
    Booking,
    DiscountAgreement,
    DiscountScope,
    Interest,
    PlaceCounting,
    PriceListEntry,
    Product,
)


class PriceSource:
    INTEREST = "interest"
    PRICE_LIST = "price_list"
    PRODUCT_DEFAULT = "product_default"
    LABELS = {
        INTEREST: "agreed price of the booking",
        PRICE_LIST: "booking's price list",
        PRODUCT_DEFAULT: "product's default price",
    }


@dataclass(frozen=True)
class PriceQuote:
    unit_price: Decimal
    currency: str
    source: str
    discounts: list[DiscountAgreement] = field(default_factory=list)

    @property
    def source_label(self) -> str:
        return PriceSource.LABELS[self.source]

    @property
    def best_discount(self) -> DiscountAgreement | None:
        return max(self.discounts, key=lambda d: d.percent, default=None)

    def discounted(self, discount: DiscountAgreement | None = None) -> Decimal:
        discount = discount if discount is not None else self.best_discount
        if discount is None:
            return self.unit_price
        return apply_discount(self.unit_price, discount.percent, self.currency)


def apply_discount(amount: Decimal, percent: Decimal, currency: str) -> Decimal:
    return round_money(amount * (Decimal(100) - Decimal(percent)) / Decimal(100), currency)


def resolve_price(
    *,
    account: Account,
    product: Product,
    on_date: datetime.date,
    booking: Booking | None = None,
    currency: str | None = None,
    event_discount_ids: Iterable[int] = (),
) -> PriceQuote:
    """The unit price of `product` for `account` on `on_date`, where it came from, and the
    discount agreements that apply. `currency` (e.g. the project's) must match if given."""
    if booking is not None and booking.tenant_id != account.tenant_id:
        raise ValidationError("The booking belongs to another company.")
    wanted = currency or (booking.currency if booking else product.currency)
    if booking is not None and booking.currency != wanted:
        raise ValidationError(
            f"Booking {booking} is in {booking.currency}, not {wanted}: "
            "prices are never converted between currencies."
        )
    quote = None
    if booking is not None:
        interest = Interest.objects.filter(booking=booking, product=product).first()
        if interest is not None:
            quote = (interest.unit_price, PriceSource.INTEREST)
        elif booking.price_list_id and booking.price_list.is_valid_on(on_date):
            entry = PriceListEntry.objects.filter(
                price_list_id=booking.price_list_id, product=product
            ).first()
            if entry is not None:
                quote = (entry.unit_price, PriceSource.PRICE_LIST)
    if quote is None:
        if product.currency != wanted:
            raise ValidationError(
                f"{product} has a default price in {product.currency} only, and no agreed price "
                f"in {wanted}: add it to the booking's interests or price list."
            )
        quote = (product.default_price, PriceSource.PRODUCT_DEFAULT)
    price_list_id = booking.price_list_id if booking is not None else None
    discounts = eligible_discounts(
        account=account,
        product=product,
        on_date=on_date,
        price_list_id=price_list_id,
        event_discount_ids=event_discount_ids,
    )
    return PriceQuote(
        unit_price=round_money(quote[0], wanted),
        currency=wanted,
        source=quote[1],
        discounts=discounts,
    )


def eligible_discounts(
    *,
    account: Account,
    product: Product,
    on_date: datetime.date,
    price_list_id: int | None = None,
    event_discount_ids: Iterable[int] = (),
) -> list[DiscountAgreement]:
    """Active discount agreements open to `account` that cover the product (or event) that day."""
    covers = Q(scope=DiscountScope.COURSE, product=product)
    if product.package_id:
        covers |= Q(scope=DiscountScope.PACKAGE, package_id=product.package_id)
    if price_list_id:
        covers |= Q(scope=DiscountScope.PRICE_LIST, price_list_id=price_list_id)
    event_ids = list(event_discount_ids)
    if event_ids:
        covers |= Q(scope=DiscountScope.EVENT, pk__in=event_ids)
    return list(
        DiscountAgreement.objects.filter(covers, is_active=True, valid_from__lte=on_date)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on_date))
        .filter(Q(account__isnull=True) | Q(account=account))
        .order_by("-percent", "name")
    )


# (agreement, account, event_id or None) -> places already used
PlacesCounter = Callable[[DiscountAgreement, Account, "int | None"], int]
_places_counter: PlacesCounter | None = None


def register_places_counter(counter: PlacesCounter) -> None:
    global _places_counter
    _places_counter = counter


@dataclass(frozen=True)
class PlaceCheck:
    used: int
    requested: int
    maximum: int | None

    @property
    def exceeds(self) -> bool:
        return self.maximum is not None and self.used + self.requested > self.maximum

    @property
    def warning(self) -> str:
        if not self.exceeds:
            return ""
        return (
            f"This customer has used {self.used} of {self.maximum} discounted places; "
            f"{self.requested} more would exceed the maximum. Confirm to go ahead."
        )


def check_places(
    *, agreement: DiscountAgreement, account: Account, places: int, event_id: int | None = None
) -> PlaceCheck:
    """How many places the customer used under `agreement`, and a warning past the maximum.

    Counted per event (only `event_id`'s places) or across all events the agreement covers.
    """
    counted_event = event_id if agreement.place_counting == PlaceCounting.PER_EVENT else None
    used = _places_counter(agreement, account, counted_event) if _places_counter else 0
    return PlaceCheck(used=used, requested=places, maximum=agreement.max_places)
