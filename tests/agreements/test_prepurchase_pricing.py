"""`resolve_prepurchase_price`: the one rule registering and issuing both read."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.platform.tenancy import activate
from agreements.models import PrepurchaseUnit
from agreements.pricing import PriceSource, resolve_prepurchase_price
from tests.factories import (
    AccountFactory,
    PrepurchaseFactory,
    PriceListEntryFactory,
    PriceListFactory,
    ProductFactory,
)

DAY = datetime.date(2026, 2, 1)


@pytest.fixture
def setup(world_a):
    tenant = world_a.tenant
    course = ProductFactory(
        tenant=tenant, default_price=Decimal("2000"), training_units_price=Decimal("99")
    )
    price_list = PriceListFactory(tenant=tenant, currency="EUR")
    entry = PriceListEntryFactory(
        price_list=price_list,
        product=course,
        unit_price=Decimal("1000"),
        training_units_price=Decimal("7.5"),
    )
    account = AccountFactory(tenant=tenant)
    return {
        "tenant": tenant,
        "course": course,
        "list": price_list,
        "entry": entry,
        "account": account,
    }


def price(setup, **agreement):
    agreement = PrepurchaseFactory(account=setup["account"], price_list=setup["list"], **agreement)
    with activate(setup["tenant"]):
        return resolve_prepurchase_price(
            agreement=agreement, product=setup["course"], on_date=DAY, currency="EUR"
        )


def test_the_price_is_the_lists_and_the_discount_the_agreements(setup):
    result = price(setup, discount_percent=Decimal("20"))
    assert (result.quote.unit_price, result.quote.source) == (
        Decimal("1000.00"),
        PriceSource.PREPURCHASE,
    )
    assert result.quote.source_label == "prepurchase agreement's price list"
    assert result.discount_percent == Decimal("20") and result.units_per_place is None


def test_units_come_from_the_list_entry_not_the_product_less_the_discount(setup):
    result = price(setup, unit=PrepurchaseUnit.TRAINING_UNITS, discount_percent=Decimal("10"))
    assert result.units_per_place == Decimal("7.5")  # not the product's 99
    assert result.units_for(3) == Decimal("20.25")  # 3 × 7.5 less 10 %


def test_a_zero_units_price_is_as_good_as_none(setup):
    setup["entry"].training_units_price = Decimal("0")
    setup["entry"].save()
    with pytest.raises(ValidationError, match="no price in training units"):
        price(setup, unit=PrepurchaseUnit.TRAINING_UNITS)


def test_a_place_that_would_cost_nothing_is_refused(setup):
    with pytest.raises(ValidationError, match=r"costs nothing on .* after the agreement"):
        price(setup, discount_percent=Decimal("100"))
