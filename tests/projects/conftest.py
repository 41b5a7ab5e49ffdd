import datetime
from decimal import Decimal

import pytest

from agreements.models import Interest
from tests.factories import (
    AccountFactory,
    BookingFactory,
    ContactFactory,
    PriceListEntryFactory,
    PriceListFactory,
    ProductFactory,
)


@pytest.fixture
def deal(world_a):
    """A customer with a signed framework agreement: a course agreed at 1,200 for 10 places."""
    tenant = world_a.tenant
    account = AccountFactory(tenant=tenant, name="Meridian Health", sales_currency="")
    learners = [ContactFactory(account=account, is_primary=(i == 0)) for i in range(4)]
    course = ProductFactory(
        tenant=tenant, code="LEAD-101", default_price=Decimal("1500"), unit_cost=Decimal("400")
    )
    other_course = ProductFactory(tenant=tenant, code="PM-100", default_price=Decimal("900"))
    price_list = PriceListFactory(tenant=tenant, currency="EUR")
    PriceListEntryFactory(price_list=price_list, product=other_course, unit_price=Decimal("850"))
    booking = BookingFactory(
        account=account,
        currency="EUR",
        price_list=price_list,
        start_date=datetime.date(2025, 1, 1),
        end_date=datetime.date(2028, 12, 31),
    )
    Interest.objects.create(
        tenant=tenant,
        booking=booking,
        product=course,
        unit_price=Decimal("1200"),
        committed_quantity=10,
    )
    return {
        "tenant": tenant,
        "world": world_a,
        "account": account,
        "learners": learners,
        "course": course,
        "other_course": other_course,
        "booking": booking,
        "price_list": price_list,
    }
