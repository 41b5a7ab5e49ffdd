"""The navbar's search box (issue 17): accounts, contacts and learners, bookings, projects, events
and invoices by name, number or e-mail, grouped by kind; never another company's rows; a
constant number of queries."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from invoicing.models import Invoice
from tests.factories import (
    AccountFactory,
    BookingFactory,
    ContactFactory,
    EventFactory,
    ProjectFactory,
)


@pytest.fixture
def found(world_a, world_b):
    account = AccountFactory(tenant=world_a.tenant, name="Meridian Health", city="Leeds")
    ContactFactory(account=account, first_name="Alex", last_name="Jones", email="alex@meridian.ex")
    booking = BookingFactory(account=account, name="Clinical leadership")
    project = ProjectFactory(account=account, booking=booking, name="Leadership year 2")
    EventFactory(project=project, title="Coaching cohort", venue="Leeds campus")
    Invoice.objects.create(
        tenant=world_a.tenant,
        project=project,
        billing_account=account,
        currency="EUR",
        status="issued",
        number="INV-00042",
        sequence_number=42,
        issue_date=datetime.date(2026, 3, 1),
    )
    other = AccountFactory(tenant=world_b.tenant, name="Meridian Foreign")
    ContactFactory(account=other, first_name="Alex", last_name="Jones", email="alex@foreign.ex")
    return {"account": account, "project": project, "booking": booking}


def search(client, query, slug="alpha"):
    return client.get(f"/{slug}/search/", {"q": query})


def groups(response):
    return {provider.key: result for provider, result in response.context["groups"]}


def test_each_kind_is_found_by_name_number_or_email(world_a, found, client_for):
    client = client_for(world_a.staff)
    assert (
        groups(search(client, "meridian"))["accounts"].hits[0].title.startswith("Meridian Health")
    )
    contacts = groups(search(client, "alex@meridian.ex"))["contacts"]
    assert [hit.title for hit in contacts.hits] == ["Alex Jones"]
    assert "Meridian Health" in contacts.hits[0].detail
    assert groups(search(client, "jones meridian"))["contacts"].total == 1  # words in any order
    assert groups(search(client, f"B-{found['booking'].number}"))["bookings"].total == 1
    assert groups(search(client, found["project"].code))["projects"].total == 1
    assert groups(search(client, "coaching"))["events"].total == 1
    finance = client_for(world_a.finance)
    invoices = groups(search(finance, "00042"))["invoices"]
    assert invoices.hits[0].title == "Invoice INV-00042"


def test_another_companys_rows_never_appear(world_a, world_b, found, client_for):
    response = search(client_for(world_a.staff), "alex")
    titles = [hit.detail for hit in groups(response)["contacts"].hits]
    assert titles == ["alex@meridian.ex · Meridian Health"]
    assert "Meridian Foreign" not in response.content.decode()
    theirs = search(client_for(world_b.staff), "Meridian Health", slug="bravo")
    assert theirs.context["groups"] == []


def test_nothing_found_says_what_to_try(world_a, found, client_for):
    response = search(client_for(world_a.staff), "zzzz-nothing")
    assert "Nothing matches “zzzz-nothing”" in response.content.decode()
    assert search(client_for(world_a.staff), "   ").context["groups"] == []


def test_the_search_runs_a_constant_number_of_queries(world_a, found, client_for):
    client = client_for(world_a.finance)
    with CaptureQueriesContext(connection) as few:
        search(client, "meridian")
    for index in range(30):
        AccountFactory(tenant=world_a.tenant, name=f"Meridian branch {index}")
    with CaptureQueriesContext(connection) as many:
        search(client, "meridian")
    assert len(many) <= len(few) + 1  # the count of accounts past the first page
