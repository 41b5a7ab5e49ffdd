"""Yearly price uplift of a booking (issue 14, part 2): contract years from the anniversary of
the start date, uplifts compounded and capped by an index, applied by the resolver to the
booking's prices for the row's delivery date, rounded once to the currency."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.platform.models import AuditEntry
from accounts.platform.tenancy import activate
from agreements import services
from agreements.models import BookingUplift, DiscountScope, Interest
from agreements.pricing import PriceSource, resolve_price
from agreements.uplift import contract_year, uplift_on
from tests.factories import (
    AccountFactory,
    BookingFactory,
    DiscountFactory,
    PriceListEntryFactory,
    PriceListFactory,
    ProductFactory,
)

START = datetime.date(2025, 3, 15)
YEAR_2 = datetime.date(2026, 3, 15)  # the first anniversary
YEAR_3 = datetime.date(2027, 3, 15)
YEAR_4 = datetime.date(2028, 3, 15)
DAY_BEFORE = datetime.timedelta(days=1)


@pytest.fixture
def deal(tenant_a):
    """A four-year booking from 15 March 2025: LEAD agreed at 850, PM on its price list at 900,
    DATA on neither (default 1,000)."""
    account = AccountFactory(tenant=tenant_a)
    agreed = ProductFactory(tenant=tenant_a, code="LEAD", default_price=Decimal("1000"))
    listed = ProductFactory(tenant=tenant_a, code="PM", default_price=Decimal("1000"))
    loose = ProductFactory(tenant=tenant_a, code="DATA", default_price=Decimal("1000"))
    price_list = PriceListFactory(tenant=tenant_a, currency="EUR")
    PriceListEntryFactory(price_list=price_list, product=listed, unit_price=Decimal("900"))
    booking = BookingFactory(
        account=account,
        price_list=price_list,
        currency="EUR",
        start_date=START,
        end_date=datetime.date(2029, 3, 14),
    )
    Interest.objects.create(
        tenant=tenant_a, booking=booking, product=agreed, unit_price=Decimal("850")
    )
    return {
        "tenant": tenant_a,
        "account": account,
        "booking": booking,
        "agreed": agreed,
        "listed": listed,
        "loose": loose,
        "price_list": price_list,
    }


def uplift(deal, year, percent, index=None, booking=None):
    return BookingUplift.objects.create(
        tenant=deal["tenant"],
        booking=booking or deal["booking"],
        contract_year=year,
        percent=Decimal(percent),
        index_percent=None if index is None else Decimal(index),
    )


def quote(deal, delivered, product="agreed", on_date=None, **kwargs):
    with activate(deal["tenant"]):
        return resolve_price(
            account=deal["account"],
            product=deal[product],
            on_date=on_date or delivered,
            delivery_date=delivered,
            **{"booking": deal["booking"], **kwargs},
        )


def test_contract_years_start_on_each_anniversary_of_the_start_date(deal):
    booking = deal["booking"]
    assert contract_year(booking, START - DAY_BEFORE) == 1  # before the start: year 1
    assert contract_year(booking, START) == 1
    assert contract_year(booking, YEAR_2 - DAY_BEFORE) == 1
    assert contract_year(booking, YEAR_2) == 2
    assert contract_year(booking, YEAR_3 - DAY_BEFORE) == 2
    assert contract_year(booking, YEAR_3) == 3
    assert contract_year(booking, YEAR_4) == 4


def test_a_booking_started_on_29_february_turns_a_year_older_on_28_february(tenant_a):
    booking = BookingFactory(
        account=AccountFactory(tenant=tenant_a),
        start_date=datetime.date(2024, 2, 29),
        end_date=datetime.date(2028, 2, 28),
    )
    assert contract_year(booking, datetime.date(2025, 2, 27)) == 1
    assert contract_year(booking, datetime.date(2025, 2, 28)) == 2
    assert contract_year(booking, datetime.date(2028, 2, 28)) == 4  # a leap year again
    assert contract_year(booking, datetime.date(2028, 2, 29)) == 5


def test_the_uplift_applies_from_the_anniversary_not_the_day_before(deal):
    uplift(deal, 2, "3.5")
    before = quote(deal, YEAR_2 - DAY_BEFORE)
    assert (before.unit_price, before.uplift) == (Decimal("850.00"), None)
    assert before.source_label == "agreed price of the booking"
    on = quote(deal, YEAR_2)
    assert on.unit_price == Decimal("879.75")  # 850 × 1.035
    assert (on.source, on.contract_year, on.uplift_percent) == (
        PriceSource.INTEREST,
        2,
        Decimal("3.500"),
    )
    assert on.source_label == "agreed price year 2, +3.5 %"


def test_uplifts_compound_over_the_years_and_an_index_caps_a_year(deal):
    uplift(deal, 2, "3.5")
    uplift(deal, 3, "4", index="2.8")  # the index is lower: 2.8 % is applied
    uplift(deal, 4, "2", index="3.1")  # the index is higher: 2 % is applied
    year_2, year_3, year_4 = (quote(deal, day) for day in (YEAR_2, YEAR_3, YEAR_4))
    assert year_2.unit_price == Decimal("879.75")
    assert year_3.unit_price == Decimal("904.38")  # 850 × 1.035 × 1.028 = 904.383
    assert year_4.unit_price == Decimal("922.47")  # × 1.02 = 922.47066
    assert year_3.source_label == "agreed price year 3, +6.398 %"
    assert year_4.uplift_percent == Decimal("8.526")  # 1.0852596
    with activate(deal["tenant"]):
        rows = {row.contract_year: row for row in BookingUplift.objects.all()}
    assert (rows[3].applied_percent, rows[3].is_capped) == (Decimal("2.8"), True)
    assert (rows[4].applied_percent, rows[4].is_capped) == (Decimal("2"), False)


def test_a_year_without_an_uplift_keeps_the_years_before_it(deal):
    uplift(deal, 2, "3.5")
    year_3 = quote(deal, YEAR_3)
    assert (year_3.unit_price, year_3.source_label) == (
        Decimal("879.75"),
        "agreed price year 3, +3.5 %",
    )


def test_the_uplifted_price_is_rounded_once_to_the_currency(tenant_a):
    """1.00 * 1.035 * 1.035 = 1.071225 → 1.07; rounding each year would give 1.04 → 1.08."""
    account = AccountFactory(tenant=tenant_a)
    cheap = ProductFactory(tenant=tenant_a, default_price=Decimal("5"))
    booking = BookingFactory(account=account, start_date=START, end_date=datetime.date(2028, 3, 14))
    Interest.objects.create(tenant=tenant_a, booking=booking, product=cheap, unit_price=1)
    deal = {"tenant": tenant_a, "account": account, "booking": booking, "agreed": cheap}
    uplift(deal, 2, "3.5")
    uplift(deal, 3, "3.5")
    assert quote(deal, YEAR_2).unit_price == Decimal("1.04")  # 1.035 → half up
    assert quote(deal, YEAR_3).unit_price == Decimal("1.07")


def test_a_currency_without_decimals_is_rounded_to_whole_units(tenant_a):
    account = AccountFactory(tenant=tenant_a)
    course = ProductFactory(tenant=tenant_a, currency="JPY", default_price=Decimal("150000"))
    booking = BookingFactory(
        account=account, currency="JPY", start_date=START, end_date=datetime.date(2028, 3, 14)
    )
    Interest.objects.create(tenant=tenant_a, booking=booking, product=course, unit_price=12345)
    deal = {"tenant": tenant_a, "account": account, "booking": booking, "agreed": course}
    uplift(deal, 2, "3.5")
    assert quote(deal, YEAR_2).unit_price == Decimal("12777")  # 12,777.075


def test_the_price_list_is_uplifted_and_the_default_price_never(deal):
    uplift(deal, 2, "3.5")
    listed = quote(deal, YEAR_2, product="listed")
    assert (listed.unit_price, listed.source_label) == (
        Decimal("931.50"),
        "booking's price list year 2, +3.5 %",
    )
    default = quote(deal, YEAR_2, product="loose")
    assert (default.unit_price, default.source, default.uplift) == (
        Decimal("1000.00"),
        PriceSource.PRODUCT_DEFAULT,
        None,
    )
    assert default.source_label == "product's default price"


def test_the_delivery_date_picks_the_year_and_the_requested_date_the_valid_price_list(deal):
    uplift(deal, 2, "3.5")
    # Requested in year 1, delivered in year 2: the year-2 price.
    assert quote(deal, YEAR_2, on_date=START).unit_price == Decimal("879.75")
    # Without a delivery date the requested date is the delivery date (as before).
    with activate(deal["tenant"]):
        plain = resolve_price(
            account=deal["account"], product=deal["agreed"], on_date=START, booking=deal["booking"]
        )
    assert plain.unit_price == Decimal("850.00")
    # A price list no longer valid on the requested day is skipped, whatever the delivery.
    deal["price_list"].valid_to = START - DAY_BEFORE
    deal["price_list"].save()
    assert quote(deal, YEAR_2, product="listed", on_date=START).source == (
        PriceSource.PRODUCT_DEFAULT
    )


def test_a_discount_is_taken_off_the_uplifted_price(deal):
    uplift(deal, 2, "3.5")
    DiscountFactory(
        tenant=deal["tenant"],
        scope=DiscountScope.COURSE,
        product=deal["agreed"],
        percent=Decimal("10"),
    )
    result = quote(deal, YEAR_2)
    assert result.discounted() == Decimal("791.78")  # 879.75 less 10 % = 791.775


def test_uplift_on_reads_the_rows_it_is_given(deal):
    rows = [BookingUplift(contract_year=2, percent=Decimal("5"))]
    assert uplift_on(deal["booking"], YEAR_2, uplifts=rows).percent == Decimal("5.000")
    assert uplift_on(deal["booking"], YEAR_2 - DAY_BEFORE, uplifts=rows) is None
    assert uplift_on(deal["booking"], YEAR_2, uplifts=[]) is None


# --- The service --------------------------------------------------------------------------------


def save_uplifts(deal, changed, deleted=(), booking=None):
    with activate(deal["tenant"]):
        return services.booking_uplifts_update(
            tenant=deal["tenant"],
            by=None,
            booking=booking or deal["booking"],
            changed=changed,
            deleted=deleted,
        )


def test_uplifts_are_saved_together_and_audited(deal):
    saved = save_uplifts(
        deal,
        [
            BookingUplift(contract_year=2, percent=Decimal("3.5")),
            BookingUplift(contract_year=3, percent=Decimal("4"), index_percent=Decimal("2.8")),
        ],
    )
    assert [(row.contract_year, row.applied_percent) for row in saved] == [
        (2, Decimal("3.5")),
        (3, Decimal("2.8")),
    ]
    with activate(deal["tenant"]):
        entry = AuditEntry.objects.get(action="price uplifts changed")
        assert entry.object_id == deal["booking"].pk
        assert entry.before == {}
        assert entry.after == {
            "year 2": "3.50 % → 3.50 %",
            "year 3": "4.00 %, index 2.80 % → 2.80 %",
        }
        year_3 = BookingUplift.objects.get(contract_year=3)
    save_uplifts(deal, [], deleted=[year_3])
    with activate(deal["tenant"]):
        assert list(BookingUplift.objects.values_list("contract_year", flat=True)) == [2]
        assert AuditEntry.objects.filter(action="price uplifts changed").count() == 2


def test_an_uplift_for_a_year_after_the_term_or_year_one_is_refused(deal):
    with pytest.raises(ValidationError) as refused:
        save_uplifts(deal, [BookingUplift(contract_year=5, percent=Decimal("3"))])
    message = " ".join(refused.value.messages)
    assert "runs 4 contract years" in message and "year 5 would start on 15 Mar 2029" in message
    with pytest.raises(ValidationError, match="greater than or equal to 2"):
        save_uplifts(deal, [BookingUplift(contract_year=1, percent=Decimal("3"))])
    with pytest.raises(ValidationError, match="less than or equal to 100"):
        save_uplifts(deal, [BookingUplift(contract_year=2, percent=Decimal("300"))])
    uplift(deal, 2, "3")
    with pytest.raises(ValidationError, match="has an uplift already"):
        save_uplifts(deal, [BookingUplift(contract_year=2, percent=Decimal("4"))])
    with activate(deal["tenant"]):
        assert BookingUplift.objects.count() == 1
        assert not AuditEntry.objects.filter(action="price uplifts changed").exists()


def test_another_bookings_uplift_is_refused(deal):
    other = BookingFactory(account=deal["account"], start_date=START)
    stranger = uplift(deal, 2, "3", booking=other)
    with pytest.raises(ValidationError, match="another booking"):
        save_uplifts(deal, [], deleted=[stranger])
    with pytest.raises(ValidationError, match="another booking"):
        save_uplifts(deal, [stranger])


def test_another_companys_booking_is_refused(deal, tenant_b):
    foreign = BookingFactory(account=AccountFactory(tenant=tenant_b))
    with pytest.raises(ValidationError):
        save_uplifts(deal, [BookingUplift(contract_year=2, percent=Decimal("3"))], booking=foreign)


# --- The booking page ---------------------------------------------------------------------------


def tab_url(booking, tab="uplifts"):
    return reverse(
        "agreements:booking-tab", kwargs={"tenant_slug": "alpha", "pk": booking.pk, "tab": tab}
    )


def save_url(booking):
    return reverse("agreements:booking-uplifts", kwargs={"tenant_slug": "alpha", "pk": booking.pk})


def test_the_booking_page_shows_each_contract_year_with_its_uplift(deal, world_a, client_for):
    uplift(deal, 2, "3.5")
    uplift(deal, 3, "4", index="2.8")
    page = client_for(world_a.viewer).get(tab_url(deal["booking"]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Price uplift" in text
    assert "15 Mar 2026" in text and "15 Mar 2027" in text and "15 Mar 2028" in text
    assert "3.5 %" in text and "2.8 %" in text and "(index)" in text
    assert "+6.398 %" in text  # what year 3's prices carry over the agreed price
    assert "Save uplifts" not in text  # a viewer reads them


def test_staff_save_uplifts_on_the_booking_page(deal, world_a, client_for):
    client = client_for(world_a.staff)
    data = {
        "uplifts-TOTAL_FORMS": "1",
        "uplifts-INITIAL_FORMS": "0",
        "uplifts-0-contract_year": "2",
        "uplifts-0-percent": "3.5",
        "uplifts-0-index_percent": "",
        "uplifts-0-notes": "Fixed uplift",
    }
    response = client.post(save_url(deal["booking"]), data)
    assert response.status_code == 302
    with activate(deal["tenant"]):
        (row,) = BookingUplift.objects.all()
    assert (row.contract_year, row.percent, row.notes) == (2, Decimal("3.5"), "Fixed uplift")
    page = client.get(tab_url(deal["booking"]))
    assert "Fixed uplift" in page.content.decode() and "Save uplifts" in page.content.decode()


def test_a_year_past_the_term_is_refused_on_the_page_with_what_to_change(deal, world_a, client_for):
    data = {
        "uplifts-TOTAL_FORMS": "1",
        "uplifts-INITIAL_FORMS": "0",
        "uplifts-0-contract_year": "7",
        "uplifts-0-percent": "3",
    }
    response = client_for(world_a.staff).post(
        save_url(deal["booking"]), data, headers={"HX-Request": "true"}
    )
    assert response.status_code == 422
    assert "runs 4 contract years" in response.content.decode()
    with activate(deal["tenant"]):
        assert not BookingUplift.objects.exists()


def test_a_viewer_cannot_save_uplifts(deal, world_a, client_for):
    data = {
        "uplifts-TOTAL_FORMS": "1",
        "uplifts-INITIAL_FORMS": "0",
        "uplifts-0-contract_year": "2",
        "uplifts-0-percent": "3",
    }
    assert client_for(world_a.viewer).post(save_url(deal["booking"]), data).status_code == 403
    with activate(deal["tenant"]):
        assert not BookingUplift.objects.exists()
