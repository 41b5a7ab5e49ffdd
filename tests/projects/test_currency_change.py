"""Change project currency (issue 13, part 6): a priced, un-invoiced project moves to another
currency; every row is priced again from the agreement in that currency, the user sees each
price before and after first, and the change is audited. Refused once anything is invoiced."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.platform.models import AuditEntry
from accounts.platform.tenancy import activate
from agreements.models import Interest
from invoicing import services as invoicing_services
from projects import services
from projects.models import Item, PrivateEvent, Project, Registration
from tests.factories import BookingFactory

DAY = datetime.date(2026, 2, 1)


@pytest.fixture
def priced(deal):
    """A project opened in EUR on the customer's EUR agreement, with a place and an item; the
    customer then signs its agreement in GBP, which the project should have been on."""
    tenant = deal["tenant"]
    with activate(tenant):
        project = services.project_save(
            tenant=tenant,
            by=None,
            project=Project(
                name="Leadership",
                account=deal["account"],
                booking=deal["booking"],
                start_date=datetime.date(2026, 1, 1),
                end_date=datetime.date(2026, 12, 31),
            ),
        )
        event = services.event_save(
            tenant=tenant,
            by=None,
            event=PrivateEvent(
                project=project,
                product=deal["course"],
                title="First-time manager",
                start_date=datetime.date(2026, 3, 2),
                end_date=datetime.date(2026, 3, 3),
            ),
        )
        (registration,) = services.registrations_add(
            tenant=tenant,
            by=None,
            project=project,
            event=event,
            learners=deal["learners"][:1],
            requested_date=DAY,
        )
        item = services.item_add(
            tenant=tenant,
            by=None,
            project=project,
            product=deal["course"],
            date=DAY,
            quantity=2,
            confirm=True,
        )
        sterling = BookingFactory(account=deal["account"], currency="GBP", number=900)
        Interest.objects.create(
            tenant=tenant, booking=sterling, product=deal["course"], unit_price=Decimal("1000")
        )
        Project.objects.filter(pk=project.pk).update(booking=sterling)
        project.refresh_from_db()
    return {**deal, "project": project, "registration": registration, "item": item}


def change(priced, currency="GBP", confirm=True):
    with activate(priced["tenant"]):
        return services.project_currency_change(
            tenant=priced["tenant"],
            by=priced["world"].admin,
            project=priced["project"],
            currency=currency,
            confirm=confirm,
        )


def test_the_preview_shows_each_row_before_and_after_and_writes_nothing(priced):
    preview = change(priced, confirm=False)
    assert [(r.old_price, r.new_price) for r in preview.rows] == [
        (Decimal("1200.00"), Decimal("1000.00")),
        (Decimal("1200.00"), Decimal("1000.00")),
    ]
    assert (preview.old_total, preview.new_total) == (Decimal("3600.00"), Decimal("3000.00"))
    with activate(priced["tenant"]):
        assert Project.objects.get(pk=priced["project"].pk).currency == "EUR"
        assert Registration.objects.get(pk=priced["registration"].pk).unit_price == Decimal(
            "1200.00"
        )


def test_confirming_reprices_every_row_from_the_agreement_and_is_audited(priced):
    change(priced)
    with activate(priced["tenant"]):
        project = Project.objects.get(pk=priced["project"].pk)
        registration = Registration.objects.get(pk=priced["registration"].pk)
        item = Item.objects.get(pk=priced["item"].pk)
        entry = AuditEntry.objects.get(action="project currency changed")
    assert project.currency == "GBP"
    assert (registration.unit_price, registration.net_amount) == (Decimal("1000"), Decimal("1000"))
    assert (item.unit_price, item.net_amount) == (Decimal("1000"), Decimal("2000"))
    assert registration.price_source == "interest"
    assert (entry.before["currency"], entry.after["currency"]) == ("EUR", "GBP")
    assert Decimal(entry.before["ordered"]) == 3600 and Decimal(entry.after["ordered"]) == 3000


def test_refused_once_anything_of_the_project_is_on_a_draft_invoice(priced):
    with activate(priced["tenant"]):
        Registration.objects.filter(pk=priced["registration"].pk).update(status="delivered")
        invoicing_services.drafts_create(
            tenant=priced["tenant"],
            by=priced["world"].finance,
            project=priced["project"],
            registration_ids=[priced["registration"].pk],
        )
    with pytest.raises(ValidationError, match="invoices or drafts in EUR"):
        change(priced)


def test_refused_where_the_agreement_has_no_price_in_the_new_currency(priced):
    with pytest.raises(ValidationError, match="not USD"):
        change(priced, currency="USD")
    with activate(priced["tenant"]):
        assert Project.objects.get(pk=priced["project"].pk).currency == "EUR"


def test_the_page_asks_with_the_prices_then_changes(priced, client_for):
    client = client_for(priced["world"].staff)
    url = reverse(
        "projects:project-currency", kwargs={"tenant_slug": "alpha", "pk": priced["project"].pk}
    )
    asked = client.post(url, {"currency": "GBP"})
    page = asked.content.decode()
    assert asked.status_code == 200 and "data-confirm" in page
    assert "1,200.00" in page and "1,000.00" in page
    with activate(priced["tenant"]):
        assert Project.objects.get(pk=priced["project"].pk).currency == "EUR"
    done = client.post(url, {"currency": "GBP", "confirmed": "1"})
    assert done.status_code == 302
    with activate(priced["tenant"]):
        assert Project.objects.get(pk=priced["project"].pk).currency == "GBP"
    refused = client.post(url, {"currency": "GBP"})  # GBP is no longer a choice
    assert refused.status_code == 422
