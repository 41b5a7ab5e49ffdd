"""The cancellation terms' rule: which terms apply, which band a cancellation falls in, the fee,
and the free-transfer deadline (agreements.cancellations)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from accounts.platform.audit import AuditEntry
from accounts.platform.tenancy import activate
from agreements import cancellations as rules
from tests.factories import BookingFactory

START = datetime.date(2026, 6, 15)


@pytest.fixture
def terms(world_a):
    tenant = world_a.tenant
    booking = BookingFactory(tenant=tenant)
    with activate(tenant):
        rules.cancellation_terms_save(
            tenant=tenant,
            by=world_a.admin,
            booking=None,
            bands=[(15, Decimal(0)), (7, Decimal(50)), (0, Decimal(100))],
            no_show_percent=Decimal(100),
            free_transfer_days=3,
        )
    return {"tenant": tenant, "booking": booking, "world": world_a}


def fee(terms_row, days_before, price="1200.00"):
    return rules.cancellation_fee(
        terms_row,
        price=Decimal(price),
        currency="EUR",
        start=START,
        on_date=START - datetime.timedelta(days=days_before),
    )


@pytest.mark.parametrize(
    ("days", "percent", "amount"),
    [
        (40, 0, "0.00"),
        (15, 0, "0.00"),  # exactly 15 days before: still free
        (14, 50, "600.00"),
        (7, 50, "600.00"),
        (6, 100, "1200.00"),
        (0, 100, "1200.00"),  # on the day it starts
        (-2, 100, "1200.00"),  # after it started
    ],
)
def test_the_band_a_cancellation_falls_in_sets_the_fee(terms, days, percent, amount):
    with activate(terms["tenant"]):
        applied = rules.terms_for(tenant=terms["tenant"], booking=terms["booking"])
    result = fee(applied, days)
    assert result.percent == percent
    assert result.amount == Decimal(amount)
    assert "the company's default terms" in result.rule


def test_the_rule_says_how_many_days_and_what_share(terms):
    with activate(terms["tenant"]):
        applied = rules.terms_for(tenant=terms["tenant"], booking=None)
    assert fee(applied, 9).rule == (
        "cancelled 9 days before the start: 50 % (the company's default terms)"
    )
    assert fee(applied, 20).rule.startswith("cancelled 20 days before the start: free")


def test_the_rule_reads_as_a_sentence_on_the_start_day_after_it_and_for_one_day(terms):
    with activate(terms["tenant"]):
        applied = rules.terms_for(tenant=terms["tenant"], booking=None)
    source = "(the company's default terms)"
    assert fee(applied, 0).rule == f"cancelled on the day it starts: 100 % {source}"
    assert fee(applied, -2).rule == f"cancelled after it started: 100 % {source}"
    assert fee(applied, 1).rule == f"cancelled 1 day before the start: 100 % {source}"
    assert rules.no_show_fee(applied, price=Decimal(10), currency="EUR").rule == (
        f"no-show: 100 % {source}"
    )


def test_a_german_company_reads_its_terms_and_fees_in_german(terms):
    """The bands, the fee's rule and whose terms they are were English glued together."""
    with activate(terms["tenant"]), translation.override("de"):
        applied = rules.terms_for(tenant=terms["tenant"], booking=None)
        assert fee(applied, 9).rule == (
            "9 Tage vor Beginn storniert: 50 % (die Standardbedingungen des Unternehmens)"
        )
        assert fee(applied, 20).rule.startswith("20 Tage vor Beginn storniert: kostenlos")
        assert fee(applied, 0).rule.startswith("am Tag des Beginns storniert: 100 %")
        assert [label for label, _ in applied.band_rows()] == [
            "15 oder mehr Tage vor Beginn",
            "7–14 Tage vor Beginn",
            "weniger als 7 Tage vor Beginn oder später",
        ]
        nothing = rules.no_show_fee(rules.NO_TERMS, price=Decimal(10), currency="EUR")
        assert nothing.rule == "nicht erschienen: 0 % (keine Bedingungen)"


def test_a_bookings_own_terms_win_over_the_company_default(terms):
    tenant, booking = terms["tenant"], terms["booking"]
    with activate(tenant):
        rules.cancellation_terms_save(
            tenant=tenant,
            by=terms["world"].staff,
            booking=booking,
            bands=[(30, Decimal(0)), (0, Decimal(25))],
            no_show_percent=Decimal(60),
            free_transfer_days=None,
        )
        own = rules.terms_for(tenant=tenant, booking=booking)
        other = rules.terms_for(tenant=tenant, booking=BookingFactory(tenant=tenant))
        assert own.source == f"the terms of {booking}"
        assert fee(own, 10).amount == Decimal("300.00")
        assert own.no_show_percent == 60
        assert fee(other, 10).amount == Decimal("600.00")  # the default still
        rules.cancellation_terms_remove(tenant=tenant, by=terms["world"].staff, booking=booking)
        assert rules.terms_for(tenant=tenant, booking=booking).source == (
            "the company's default terms"
        )
        assert AuditEntry.objects.filter(action="cancellation terms removed").count() == 1


def test_without_terms_nothing_is_charged(world_b):
    tenant = world_b.tenant
    with activate(tenant):
        applied = rules.terms_for(tenant=tenant, booking=None)
    assert applied is rules.NO_TERMS
    assert fee(applied, 0).amount == 0
    assert rules.no_show_fee(applied, price=Decimal(900), currency="EUR").amount == 0


def test_no_show_fee_and_rounding_to_the_currency(terms):
    with activate(terms["tenant"]):
        applied = rules.terms_for(tenant=terms["tenant"], booking=None)
    assert rules.no_show_fee(applied, price=Decimal("999.99"), currency="EUR").amount == Decimal(
        "999.99"
    )
    half = fee(applied, 10, price="333.33")
    assert half.amount == Decimal("166.67")  # half-up to the cent
    jpy = rules.cancellation_fee(
        applied, price=Decimal("1001"), currency="JPY", start=START, on_date=START
    )
    assert jpy.amount == Decimal("1001")


def test_the_free_transfer_deadline(terms):
    with activate(terms["tenant"]):
        applied = rules.terms_for(tenant=terms["tenant"], booking=None)
    assert rules.transfer_deadline(applied, START) == datetime.date(2026, 6, 12)
    assert rules.transfer_deadline(rules.NO_TERMS, START) == datetime.date(2026, 6, 14)


@pytest.mark.parametrize(
    ("bands", "message"),
    [
        ([(15, 50), (7, 10), (0, 100)], "cannot cost less than an earlier one"),
        ([(7, 10), (7, 20)], "Two bands start at the same number of days"),
        ([(7, 120), (0, 100)], "between 0 and 100"),
        ([(15, 0), (7, 50)], "Add a band from 0 days"),
    ],
)
def test_terms_that_make_no_sense_are_refused_with_what_to_change(terms, bands, message):
    with activate(terms["tenant"]), pytest.raises(ValidationError, match=message):
        rules.cancellation_terms_save(
            tenant=terms["tenant"],
            by=terms["world"].admin,
            booking=None,
            bands=[(days, Decimal(percent)) for days, percent in bands],
            no_show_percent=Decimal(100),
            free_transfer_days=None,
        )
    with activate(terms["tenant"]):  # nothing half-saved: the old bands stand
        applied = rules.terms_for(tenant=terms["tenant"], booking=None)
    assert [band.min_days_before for band in applied.bands] == [15, 7, 0]


def test_the_bands_read_as_ranges_of_days(terms):
    with activate(terms["tenant"]):
        applied = rules.terms_for(tenant=terms["tenant"], booking=None)
    assert applied.band_rows() == [
        ("15 or more days before the start", Decimal(0)),
        ("7–14 days before the start", Decimal(50)),
        ("less than 7 days before the start, or later", Decimal(100)),
    ]
    gentle = rules.Terms(
        source="x",
        bands=(rules.Band(30, Decimal(10)), rules.Band(29, Decimal(20))),
        no_show_percent=Decimal(0),
        free_transfer_days=None,
    )
    assert [label for label, _ in gentle.band_rows()] == [
        "30 or more days before the start",
        "29 days before the start",
        "less than 29 days before the start",
    ]
