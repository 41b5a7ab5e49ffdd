"""The billing moment: per product (catalogue) with a project override, deciding which
registrations and items can be invoiced, with the reason shown when not yet (projects.billing),
the same in the review page's check, the querysets and bulk runs."""

import datetime
import itertools

import pytest
from django.core.exceptions import ValidationError

from agreements.models import BillingMoment
from invoicing import services as invoicing
from invoicing.selectors import run_candidates
from projects.billing import invoiceable_items, invoiceable_registrations, row_problem
from projects.models import Item, Registration, RegistrationStatus
from tests.factories import ItemFactory, ProductFactory

TODAY = datetime.date(2026, 11, 30)


def registration(billing):
    return Registration.objects.select_related("event__product").get(
        pk=billing["registrations"][0].pk
    )


def set_status(billing, status):
    Registration.objects.filter(pk=billing["registrations"][0].pk).update(status=status)


def set_moments(billing, product_moment, project_moment=""):
    course = billing["events"][0].product
    course.billing_moment = product_moment
    course.save()
    billing["project"].billing_moment = project_moment
    billing["project"].save()


def test_a_course_billed_on_booking_invoices_a_place_as_soon_as_it_is_requested(act, billing):
    set_status(billing, RegistrationStatus.REQUESTED)
    set_moments(billing, BillingMoment.ON_DELIVERY)
    assert row_problem(registration(billing), billing["project"]) == (
        "it is requested; LEAD-101's places are invoiced on delivery"
    )
    set_moments(billing, BillingMoment.ON_BOOKING)
    assert row_problem(registration(billing), billing["project"]) is None
    (invoice,) = act(
        invoicing.drafts_create,
        project=billing["project"],
        registration_ids=[billing["registrations"][0].pk],
    )
    assert invoice.lines.count() == 1


def test_the_projects_moment_overrides_the_products(act, billing):
    set_status(billing, RegistrationStatus.CONFIRMED)
    set_moments(billing, BillingMoment.ON_CONFIRMATION, BillingMoment.ON_DELIVERY)
    assert row_problem(registration(billing), billing["project"]) == (
        "it is confirmed; the project's places are invoiced on delivery"
    )
    with pytest.raises(ValidationError, match="the project's places are invoiced on delivery"):
        act(
            invoicing.drafts_create,
            project=billing["project"],
            registration_ids=[billing["registrations"][0].pk],
        )
    set_moments(billing, BillingMoment.ON_DELIVERY, BillingMoment.ON_CONFIRMATION)
    assert row_problem(registration(billing), billing["project"]) is None


def test_an_item_billed_on_delivery_waits_for_its_date(billing):
    future = ItemFactory(
        project=billing["project"],
        product=ProductFactory(tenant=billing["tenant"], code="WB-1", name="Workbook"),
        date=TODAY + datetime.timedelta(days=10),
    )
    assert row_problem(future, billing["project"], today=TODAY) == (
        "it is delivered on 10 Dec 2026; WB-1's items are invoiced on delivery"
    )
    assert not Item.objects.filter(invoiceable_items(TODAY), pk=future.pk).count()
    assert row_problem(future, billing["project"], today=future.date) is None
    future.product.billing_moment = BillingMoment.ON_BOOKING
    future.product.save()
    future = Item.objects.select_related("product").get(pk=future.pk)
    assert row_problem(future, billing["project"], today=TODAY) is None
    assert Item.objects.filter(invoiceable_items(TODAY), pk=future.pk).count() == 1


@pytest.mark.parametrize(
    ("status", "product_moment", "project_moment"),
    list(
        itertools.product(
            [
                RegistrationStatus.REQUESTED,
                RegistrationStatus.CONFIRMED,
                RegistrationStatus.DELIVERED,
                RegistrationStatus.CANCELLED,
                RegistrationStatus.NO_SHOW,
            ],
            BillingMoment.values,
            ["", *BillingMoment.values],
        )
    ),
)
def test_the_queryset_rule_and_the_row_check_agree(billing, status, product_moment, project_moment):
    """One definition: the bulk runs' Q and the review page's check say the same of every row."""
    set_status(billing, status)
    set_moments(billing, product_moment, project_moment)
    row = registration(billing)
    by_check = row_problem(row, billing["project"]) is None
    by_query = Registration.objects.filter(invoiceable_registrations(), pk=row.pk).count() == 1
    assert by_check == by_query
    included, _ = run_candidates()
    in_run = row.pk in included.get(billing["project"].pk, {}).get("registrations", [])
    assert in_run == by_check
