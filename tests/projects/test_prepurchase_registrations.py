"""A registration paid from a prepurchase agreement is priced as the agreement says (DESIGN.md,
"Prepurchase agreements"): its price list, at its prices, less its own discount."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.platform.tenancy import activate
from agreements.models import DiscountScope, PrepurchaseStatus, PrepurchaseUnit
from agreements.pricing import PriceSource
from projects import services
from projects.models import PrivateEvent, Project, Registration
from tests.factories import (
    DiscountFactory,
    PrepurchaseFactory,
    PriceListEntryFactory,
    PriceListFactory,
)

DAY = datetime.date(2026, 2, 1)


@pytest.fixture
def project(deal):
    with activate(deal["tenant"]):
        return services.project_save(
            tenant=deal["tenant"],
            by=None,
            project=Project(
                name="Leadership",
                account=deal["account"],
                booking=deal["booking"],
                start_date=datetime.date(2026, 1, 1),
                end_date=datetime.date(2026, 12, 31),
            ),
        )


@pytest.fixture
def event(deal, project):
    with activate(deal["tenant"]):
        return services.event_save(
            tenant=deal["tenant"],
            by=None,
            event=PrivateEvent(
                project=project,
                product=deal["course"],
                title="First-time manager",
                start_date=datetime.date(2026, 3, 2),
                end_date=datetime.date(2026, 3, 3),
            ),
        )


@pytest.fixture
def fund_list(deal):
    """The prepurchase's own list: the course at 1,000 (the booking agrees 1,200), 5 units."""
    price_list = PriceListFactory(tenant=deal["tenant"], currency="EUR", name="Fund prices")
    PriceListEntryFactory(
        price_list=price_list,
        product=deal["course"],
        unit_price=Decimal("1000"),
        training_units_price=Decimal("5"),
    )
    return price_list


def fund(deal, price_list, **kwargs):
    kwargs.setdefault("discount_percent", Decimal("15"))
    return PrepurchaseFactory(account=deal["account"], price_list=price_list, **kwargs)


def register(deal, project, event, **kwargs):
    kwargs.setdefault("learners", deal["learners"][:1])
    kwargs.setdefault("requested_date", DAY)
    with activate(deal["tenant"]):
        return services.registrations_add(
            tenant=deal["tenant"], by=None, project=project, event=event, **kwargs
        )


def test_a_place_paid_from_a_prepurchase_is_priced_from_its_list_less_its_discount(
    deal, project, event, fund_list
):
    agreement = fund(deal, fund_list)
    (registration,) = register(deal, project, event, prepurchase=agreement)
    assert (registration.unit_price, registration.price_source) == (
        Decimal("1000.00"),
        PriceSource.PREPURCHASE,
    )
    assert registration.discount_percent == Decimal("15")
    assert registration.net_amount == Decimal("850.00")
    assert registration.prepurchase == agreement and registration.discount_agreement is None


def test_a_discount_agreement_does_not_stack_on_the_prepurchase_discount(
    deal, project, event, fund_list
):
    course_discount = DiscountFactory(
        tenant=deal["tenant"], scope=DiscountScope.COURSE, product=deal["course"], percent=30
    )
    agreement = fund(deal, fund_list)
    (registration,) = register(deal, project, event, prepurchase=agreement)
    assert registration.discount_percent == Decimal("15")  # the agreement's, not 30 or 45
    with pytest.raises(ValidationError, match="takes the agreement's own discount"):
        register(deal, project, event, prepurchase=agreement, discount_agreement=course_discount)


def test_a_prepurchase_in_another_currency_is_refused_with_what_to_change(deal, project, event):
    pounds = PriceListFactory(tenant=deal["tenant"], currency="GBP", name="Sterling list")
    PriceListEntryFactory(price_list=pounds, product=deal["course"], unit_price=Decimal("800"))
    agreement = fund(deal, pounds)
    with pytest.raises(ValidationError) as error:
        register(deal, project, event, prepurchase=agreement)
    assert "is in GBP (its price list Sterling list) but the project is in EUR" in str(error.value)
    assert "pay from a EUR prepurchase agreement" in str(error.value)
    with activate(deal["tenant"]):
        assert not Registration.objects.exists()


def test_a_course_not_on_the_agreements_list_is_refused(deal, project, event):
    empty = PriceListFactory(tenant=deal["tenant"], currency="EUR", name="Short list")
    agreement = fund(deal, empty)
    with pytest.raises(ValidationError, match="is not on Short list, the price list of P-"):
        register(deal, project, event, prepurchase=agreement)


def test_a_units_agreement_refuses_a_course_without_a_units_price(deal, project, event):
    no_units = PriceListFactory(tenant=deal["tenant"], currency="EUR", name="Money only")
    PriceListEntryFactory(price_list=no_units, product=deal["course"], unit_price=Decimal("900"))
    agreement = fund(deal, no_units, unit=PrepurchaseUnit.TRAINING_UNITS)
    with pytest.raises(ValidationError, match="has no price in training units on Money only"):
        register(deal, project, event, prepurchase=agreement)


def test_a_closed_or_ended_agreement_pays_for_no_new_place(deal, project, event, fund_list):
    closed = fund(deal, fund_list, status=PrepurchaseStatus.CLOSED)
    with pytest.raises(ValidationError, match="is closed"):
        register(deal, project, event, prepurchase=closed)
    ended = fund(deal, fund_list, end_date=datetime.date(2025, 12, 31))
    with pytest.raises(ValidationError, match="cannot be paid from it"):
        register(deal, project, event, prepurchase=ended)


def test_the_registration_form_shows_why_a_prepurchase_cannot_pay(
    world_a, deal, project, event, client_for
):
    pounds = PriceListFactory(tenant=deal["tenant"], currency="GBP", name="Sterling list")
    agreement = fund(deal, pounds)
    response = client_for(world_a.staff).post(
        reverse(
            "projects:registration-add", kwargs={"tenant_slug": "alpha", "project_pk": project.pk}
        ),
        {
            "event": event.pk,
            "learners": [deal["learners"][0].pk],
            "places": 1,
            "requested_date": "2026-02-01",
            "discount": "auto",
            "prepurchase": agreement.pk,
        },
    )
    assert response.status_code == 422
    assert "pay from a EUR prepurchase agreement" in response.content.decode()
