"""Price resolution and discounts (DESIGN.md, "Prices" and "Discount agreements").

A unit price comes from, in this order: the booking's interest for the product, the event's own
price (a registration's event, in the project's currency), the booking's price list, the
product's default price. A price from the booking (interest or price list) carries the booking's
yearly uplift for the contract year of the row's delivery date (`agreements.uplift`); the event's
price and the default price never do. A discount agreement then takes off its percentage, from
the uplifted price. Amounts are never converted between currencies: a mismatch is an error that
says what to add.

A registration paid from a prepurchase agreement is priced by the agreement instead
(`resolve_prepurchase_price`): its price list at its prices, less its own discount; registering
(`projects`) and issuing (`invoicing`) both read it here.

Places used under a discount agreement are counted by registrations, which live in `projects`;
that app registers the counter with `places_counter.register` so this module never imports it.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext, gettext_lazy

from accounts.models import Account
from accounts.platform.money import round_money
from accounts.platform.registry import Hook
from accounts.templatetags.money import percent
from agreements.models import (
    Booking,
    DiscountAgreement,
    DiscountScope,
    Interest,
    PlaceCounting,
    PrepurchaseAgreement,
    PrepurchaseStatus,
    PrepurchaseUnit,
    PriceListEntry,
    Product,
)
from agreements.uplift import Uplift, uplift_on


class PriceSource:
    INTEREST = "interest"
    EVENT = "event"
    PRICE_LIST = "price_list"
    PRODUCT_DEFAULT = "product_default"
    PREPURCHASE = "prepurchase"
    TERMS = "terms"  # a late cancellation's or a no-show's fee (agreements.cancellations)
    DUNNING = "dunning"  # a payment reminder's fee (invoicing's dunning levels)
    MILESTONE = "milestone"  # a phase's billing milestone (projects.services.phases)
    LABELS = {
        INTEREST: gettext_lazy("agreed price of the booking"),
        EVENT: gettext_lazy("event's price"),
        PRICE_LIST: gettext_lazy("booking's price list"),
        PRODUCT_DEFAULT: gettext_lazy("product's default price"),
        PREPURCHASE: gettext_lazy("prepurchase agreement's price list"),
        TERMS: gettext_lazy("cancellation terms"),
        DUNNING: gettext_lazy("reminder fee"),
        MILESTONE: gettext_lazy("billing milestone"),
    }
    # The sources that carry the booking's yearly uplift, and how an uplifted one is named.
    UPLIFTED = {
        INTEREST: gettext_lazy("agreed price"),
        PRICE_LIST: gettext_lazy("booking's price list"),
    }


def price_source_label(
    source: str, contract_year: int | None = None, uplift_percent: Decimal | None = None
) -> str:
    """Where a price came from, as people read it: "agreed price of the booking", or with an
    uplift "agreed price year 2, +3.5 %". Quotes and stored rows both say it with this."""
    # In the active language: the company's on its pages and in its exports.
    label = str(PriceSource.LABELS.get(source, source or "—"))
    if contract_year is None or uplift_percent is None or source not in PriceSource.UPLIFTED:
        return label
    return gettext("%(source)s year %(year)s, %(sign)s%(percent)s") % {
        "source": PriceSource.UPLIFTED[source],
        "year": contract_year,
        "sign": "−" if uplift_percent < 0 else "+",
        "percent": percent(abs(uplift_percent)),  # "3.5 %", in German "3,5 %"
    }


@dataclass(frozen=True)
class PriceQuote:
    unit_price: Decimal
    currency: str
    source: str
    discounts: list[DiscountAgreement] = field(default_factory=list)
    uplift: Uplift | None = None  # the booking's yearly uplift included in `unit_price`

    @property
    def source_label(self) -> str:
        if self.uplift is None:
            return price_source_label(self.source)
        return price_source_label(self.source, self.uplift.contract_year, self.uplift.percent)

    @property
    def contract_year(self) -> int | None:
        return self.uplift.contract_year if self.uplift else None

    @property
    def uplift_percent(self) -> Decimal | None:
        return self.uplift.percent if self.uplift else None

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
    delivery_date: datetime.date | None = None,
    event=None,
) -> PriceQuote:
    """The unit price of `product` for `account`, where it came from, and the discount
    agreements that apply. `currency` (e.g. the project's) must match if given.

    `on_date` (the day the row is requested) decides which price lists and discounts are valid;
    `delivery_date` (`projects.billing.delivery_date`; `on_date` when not given) decides the
    contract year whose uplift a booking's price carries. `event` is a registration's private
    event (`projects.PrivateEvent`, read by its `unit_price`, `product_id` and
    `discount_agreement_id`): its own price comes after the booking's agreed price and before
    the booking's price list, and its one-event discount applies."""
    if booking is not None and booking.tenant_id != account.tenant_id:
        raise ValidationError(gettext("The booking belongs to another company."))
    if event is not None and event.product_id != product.pk:
        raise ValidationError(
            gettext("That event is not a run of %(product)s: choose one of its events.")
            % {"product": product}
        )
    wanted = currency or (booking.currency if booking else product.currency)
    if booking is not None and booking.currency != wanted:
        raise ValidationError(
            gettext(
                "Booking %(booking)s is in %(currency)s, not %(wanted)s: prices are never "
                "converted between currencies."
            )
            % {"booking": booking, "currency": booking.currency, "wanted": wanted}
        )
    quote = None
    if booking is not None:
        interest = Interest.objects.filter(booking=booking, product=product).first()
        if interest is not None:
            quote = (interest.unit_price, PriceSource.INTEREST)
    if quote is None and event is not None and event.unit_price is not None:
        quote = (event.unit_price, PriceSource.EVENT)
    if (
        quote is None
        and booking is not None
        and booking.price_list_id
        and booking.price_list.is_valid_on(on_date)
    ):
        entry = PriceListEntry.objects.filter(
            price_list_id=booking.price_list_id, product=product
        ).first()
        if entry is not None:
            quote = (entry.unit_price, PriceSource.PRICE_LIST)
    if quote is None:
        if product.currency != wanted:
            raise ValidationError(
                gettext(
                    "%(product)s has a default price in %(currency)s only, and no agreed price in "
                    "%(wanted)s: add it to the booking's interests or price list."
                )
                % {"product": product, "currency": product.currency, "wanted": wanted}
            )
        quote = (product.default_price, PriceSource.PRODUCT_DEFAULT)
    price, source = quote
    uplift = None
    if source in PriceSource.UPLIFTED:
        uplift = uplift_on(booking, delivery_date or on_date)
        if uplift is not None:
            price = Decimal(price) * uplift.factor
    price_list_id = booking.price_list_id if booking is not None else None
    event_ids = list(event_discount_ids)
    if (
        event is not None
        and event.discount_agreement_id
        and event.discount_agreement_id not in event_ids
    ):
        event_ids.append(event.discount_agreement_id)
    discounts = eligible_discounts(
        account=account,
        product=product,
        on_date=on_date,
        price_list_id=price_list_id,
        event_discount_ids=event_ids,
    )
    return PriceQuote(
        unit_price=round_money(price, wanted),
        currency=wanted,
        source=source,
        discounts=discounts,
        uplift=uplift,
    )


def is_on_agreement(booking: Booking, product: Product) -> bool:
    """Whether `product` is on the framework agreement: agreed on the booking (an interest) or
    on the booking's price list. What the budget policy checks rows against (issue 14)."""
    if Interest.objects.filter(booking=booking, product=product).exists():
        return True
    return bool(booking.price_list_id) and (
        PriceListEntry.objects.filter(price_list_id=booking.price_list_id, product=product).exists()
    )


UNITS_QUANTUM = Decimal("0.01")  # training units are counted to two decimals, like the ledger


@dataclass(frozen=True)
class PrepurchasePrice:
    """What a place costs when it is paid from a prepurchase agreement.

    `quote` is the money price of the agreement's price list (source "prepurchase"), stored on
    the registration as its unit price; `discount_percent` the agreement's own discount, stored
    as the registration's discount; `units_per_place` the list's price in training units (units
    agreements only), before the discount.
    """

    agreement: PrepurchaseAgreement
    quote: PriceQuote
    discount_percent: Decimal
    units_per_place: Decimal | None

    def units_for(self, places) -> Decimal:
        """Training units `places` places take from a units agreement: the list's units price
        less the agreement's discount (the discount applies to units as it does to money)."""
        if self.units_per_place is None:
            raise ValueError(f"{self.agreement} is not counted in training units.")
        gross = self.units_per_place * Decimal(places)
        return (gross * (Decimal(100) - self.discount_percent) / Decimal(100)).quantize(
            UNITS_QUANTUM, rounding=ROUND_HALF_UP
        )


def resolve_prepurchase_price(
    *,
    agreement: PrepurchaseAgreement,
    product: Product,
    on_date: datetime.date,
    currency: str | None = None,
) -> PrepurchasePrice:
    """The price of a place of `product` requested on `on_date` and paid from `agreement`.

    The agreement fixes the prices: its price list's entry for the product (whatever the list's
    own validity dates: the agreement pins the list), less the agreement's discount. Refused,
    with what to change, when the agreement is not active or does not run on `on_date`, when
    `currency` (the project's) is not the list's, when the product is not on the list, when a
    units agreement's list gives the product no price in training units, or when nothing at all
    would be paid from the agreement. Never a silent zero: a registration paid from an agreement
    always uses some of it.
    """
    price_list = agreement.price_list
    if agreement.tenant_id != product.tenant_id:
        raise ValidationError(gettext("The prepurchase agreement belongs to another company."))
    if agreement.status != PrepurchaseStatus.ACTIVE:
        raise ValidationError(
            gettext(
                "%(agreement)s is %(lower)s: choose an active prepurchase agreement, or register "
                "without one."
            )
            % {"agreement": agreement, "lower": agreement.get_status_display().lower()}
        )
    if not agreement.start_date <= on_date <= agreement.end_date:
        raise ValidationError(
            gettext(
                "%(agreement)s runs from %(start_date)s to %(end_date)s, so a place requested on "
                "%(on_date)s cannot be paid from it: change the requested date, extend the "
                "agreement, or register without it."
            )
            % {
                "agreement": agreement,
                "start_date": format(agreement.start_date, "%d %b %Y"),
                "end_date": format(agreement.end_date, "%d %b %Y"),
                "on_date": format(on_date, "%d %b %Y"),
            }
        )
    if currency is not None and currency != price_list.currency:
        raise ValidationError(
            gettext(
                "%(agreement)s is in %(currency)s (its price list %(price_list_name)s) but the "
                "project is in %(currency2)s: pay from a %(currency2)s prepurchase agreement, or "
                "register without one. Prices are never converted between currencies."
            )
            % {
                "agreement": agreement,
                "currency": price_list.currency,
                "price_list_name": price_list.name,
                "currency2": currency,
            }
        )
    entry = PriceListEntry.objects.filter(price_list_id=price_list.pk, product=product).first()
    if entry is None:
        raise ValidationError(
            gettext(
                "%(product)s is not on %(price_list_name)s, the price list of %(agreement)s: add "
                "it to that list, or register without the prepurchase agreement."
            )
            % {"product": product, "price_list_name": price_list.name, "agreement": agreement}
        )
    discount_percent = Decimal(agreement.discount_percent)
    units_per_place = None
    if agreement.unit == PrepurchaseUnit.TRAINING_UNITS:
        units_per_place = entry.training_units_price
        if not units_per_place:  # missing, or 0: a place would be free
            raise ValidationError(
                gettext(
                    "%(product)s has no price in training units on %(price_list_name)s, and "
                    "%(agreement)s pays in training units: enter the course's training-units price "
                    "on that list, or register without the prepurchase agreement."
                )
                % {"product": product, "price_list_name": price_list.name, "agreement": agreement}
            )
    quote = PriceQuote(
        unit_price=round_money(entry.unit_price, price_list.currency),
        currency=price_list.currency,
        source=PriceSource.PREPURCHASE,
    )
    price = PrepurchasePrice(
        agreement=agreement,
        quote=quote,
        discount_percent=discount_percent,
        units_per_place=units_per_place,
    )
    if (
        agreement.unit == PrepurchaseUnit.MONEY
        and apply_discount(quote.unit_price, discount_percent, quote.currency) <= 0
    ):
        raise ValidationError(
            gettext(
                "%(product)s costs nothing on %(price_list_name)s after the agreement's discount, "
                "so nothing would be paid from %(agreement)s: correct the list's price, or "
                "register without the prepurchase agreement."
            )
            % {"product": product, "price_list_name": price_list.name, "agreement": agreement}
        )
    if units_per_place is not None and price.units_for(1) <= 0:
        raise ValidationError(
            gettext(
                "After the agreement's discount a place of %(product)s takes no training units "
                "from %(agreement)s: correct the list's training-units price or the discount, or "
                "register without the prepurchase agreement."
            )
            % {"product": product, "agreement": agreement}
        )
    return price


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
places_counter: Hook[PlacesCounter] = Hook("discount places counter")


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
    used = (
        places_counter.function(agreement, account, counted_event) if places_counter.function else 0
    )
    return PlaceCheck(used=used, requested=places, maximum=agreement.max_places)
