"""Registrations and items priced with the booking's yearly uplift for their delivery date, and
with their event's own price (issue 14, parts 2 and 3): stored on the row with where the price
came from, and shown on the pages and in the export."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.platform.models import Tenant
from accounts.platform.tenancy import activate
from agreements import services as agreement_services
from agreements.models import BookingUplift, DiscountScope
from invoicing import services as invoicing_services
from invoicing.models import Invoice
from projects import services
from projects.models import PrivateEvent, Project, Registration, RegistrationStatus
from tests.factories import DiscountFactory, ProductFactory

# The deal's booking runs from 1 January 2025: contract year 2 starts on 1 January 2026.
YEAR_2 = datetime.date(2026, 1, 1)


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
                start_date=datetime.date(2025, 1, 1),
                end_date=datetime.date(2026, 12, 31),
            ),
        )


@pytest.fixture
def uplifts(deal):
    with activate(deal["tenant"]):
        return agreement_services.booking_uplifts_update(
            tenant=deal["tenant"],
            by=None,
            booking=deal["booking"],
            changed=[
                BookingUplift(contract_year=2, percent=Decimal("3.5")),
                BookingUplift(contract_year=3, percent=Decimal("4"), index_percent=Decimal("2.8")),
            ],
        )


def event(deal, project, start, end=None, product=None, **fields):
    with activate(deal["tenant"]):
        return services.event_save(
            tenant=deal["tenant"],
            by=None,
            event=PrivateEvent(
                project=project,
                product=product or deal["course"],
                title=f"Run {start}",
                start_date=start,
                end_date=end or start,
                **fields,
            ),
        )


def register(deal, project, on_event, **kwargs):
    kwargs.setdefault("learners", deal["learners"][:1])
    kwargs.setdefault("requested_date", datetime.date(2025, 11, 1))
    with activate(deal["tenant"]):
        return services.registrations_add(
            tenant=deal["tenant"], by=None, project=project, event=on_event, **kwargs
        )


# --- Uplift by delivery date --------------------------------------------------------------------


def test_a_registration_delivered_in_year_2_carries_the_year_2_uplift(deal, project, uplifts):
    (registration,) = register(deal, project, event(deal, project, datetime.date(2026, 3, 2)))
    assert registration.unit_price == Decimal("1242.00")  # 1,200 × 1.035
    assert registration.net_amount == Decimal("1242.00")
    assert (registration.price_source, registration.price_year) == ("interest", 2)
    assert registration.price_uplift_percent == Decimal("3.500")
    assert registration.price_source_label == "agreed price year 2, +3.5 %"


def test_the_events_last_day_decides_the_year_not_its_first_or_the_request(deal, project, uplifts):
    ends_before = event(deal, project, datetime.date(2025, 12, 30), YEAR_2 - datetime.timedelta(1))
    spans = event(deal, project, datetime.date(2025, 12, 31), YEAR_2)
    (year_1,) = register(deal, project, ends_before)
    (year_2,) = register(deal, project, spans, learners=deal["learners"][1:2])
    assert (year_1.unit_price, year_1.price_year, year_1.price_source_label) == (
        Decimal("1200.00"),
        None,
        "agreed price of the booking",
    )
    assert (year_2.unit_price, year_2.price_year) == (Decimal("1242.00"), 2)


def test_year_3_compounds_the_index_capped_uplift(deal, project, uplifts):
    project.end_date = datetime.date(2027, 12, 31)
    project.save()
    (registration,) = register(deal, project, event(deal, project, datetime.date(2027, 2, 1)))
    assert registration.unit_price == Decimal("1276.78")  # 1,200 × 1.035 × 1.028 = 1,276.776
    assert registration.price_source_label == "agreed price year 3, +6.398 %"


def test_an_item_is_priced_for_its_own_date(deal, project, uplifts):
    with activate(deal["tenant"]):
        before, on = (
            services.item_add(
                tenant=deal["tenant"],
                by=None,
                project=project,
                product=deal["other_course"],  # on the booking's price list at 850
                date=day,
                quantity=2,
            )
            for day in (YEAR_2 - datetime.timedelta(1), YEAR_2)
        )
    assert (before.unit_price, before.price_source_label) == (
        Decimal("850.00"),
        "booking's price list",
    )
    assert (on.unit_price, on.net_amount) == (Decimal("879.75"), Decimal("1759.50"))
    assert on.price_source_label == "booking's price list year 2, +3.5 %"


def test_an_uplift_added_later_never_reprices_a_row_or_an_issued_invoice(deal, project):
    """Rows are priced when added: the uplift prices rows added after it."""
    on_event = event(deal, project, datetime.date(2026, 3, 2))
    (registration,) = register(deal, project, on_event)
    with activate(deal["tenant"]):
        services.registrations_set_status(
            tenant=deal["tenant"],
            by=None,
            project=project,
            ids=[registration.pk],
            status=RegistrationStatus.DELIVERED,
        )
        (invoice,) = invoicing_services.drafts_create(
            tenant=deal["tenant"], by=None, project=project, registration_ids=[registration.pk]
        )
        invoice = invoicing_services.invoice_issue(tenant=deal["tenant"], by=None, invoice=invoice)
        agreement_services.booking_uplifts_update(
            tenant=deal["tenant"],
            by=None,
            booking=deal["booking"],
            changed=[BookingUplift(contract_year=2, percent=Decimal("10"))],
        )
        registration.refresh_from_db()
        issued = Invoice.objects.get(pk=invoice.pk)
        assert (registration.unit_price, registration.price_year) == (Decimal("1200.00"), None)
        assert issued.net_total == Decimal("1200.00")
        assert issued.lines.get().unit_price == Decimal("1200.00")
    (later,) = register(deal, project, on_event, learners=deal["learners"][1:2])
    assert later.unit_price == Decimal("1320.00")


# --- Event prices -------------------------------------------------------------------------------


def test_the_agreed_price_comes_before_the_events_price(deal, project, uplifts):
    priced = event(deal, project, datetime.date(2026, 3, 2), unit_price=Decimal("999"))
    (registration,) = register(deal, project, priced)
    assert (registration.unit_price, registration.price_source) == (Decimal("1242.00"), "interest")


def test_the_events_price_comes_before_the_price_list_and_is_never_uplifted(deal, project, uplifts):
    listed = deal["other_course"]  # on the booking's price list at 850
    priced = event(deal, project, datetime.date(2026, 3, 2), product=listed, unit_price=700)
    plain = event(deal, project, datetime.date(2026, 3, 9), product=listed)
    (from_event,) = register(deal, project, priced)
    (from_list,) = register(deal, project, plain)
    assert (from_event.unit_price, from_event.price_source, from_event.price_year) == (
        Decimal("700.00"),
        "event",
        None,
    )
    assert from_event.price_source_label == "event's price"
    assert (from_list.unit_price, from_list.price_source) == (Decimal("879.75"), "price_list")


def test_the_events_price_comes_before_the_products_default_price(deal, project):
    loose = ProductFactory(tenant=deal["tenant"], code="COMM-1", default_price=Decimal("640"))
    priced = event(deal, project, datetime.date(2026, 3, 2), product=loose, unit_price="555.555")
    plain = event(deal, project, datetime.date(2026, 3, 9), product=loose)
    assert priced.unit_price == Decimal("555.56")  # rounded to the project's currency
    (from_event,) = register(deal, project, priced, confirm=True)
    (from_default,) = register(deal, project, plain, confirm=True)
    assert (from_event.unit_price, from_event.price_source) == (Decimal("555.56"), "event")
    assert (from_default.unit_price, from_default.price_source) == (
        Decimal("640.00"),
        "product_default",
    )


def test_the_events_discount_is_taken_off_the_events_price(deal, project):
    one_event = DiscountFactory(
        tenant=deal["tenant"], scope=DiscountScope.EVENT, percent=Decimal("10")
    )
    priced = event(
        deal,
        project,
        datetime.date(2026, 3, 2),
        product=deal["other_course"],
        unit_price=700,
        discount_agreement=one_event,
    )
    (registration,) = register(deal, project, priced)
    assert (registration.unit_price, registration.discount_agreement_id) == (
        Decimal("700.00"),
        one_event.pk,
    )
    assert registration.net_amount == Decimal("630.00")


def test_an_event_price_cannot_be_negative(deal, project):
    with pytest.raises(ValidationError):
        event(deal, project, datetime.date(2026, 3, 2), unit_price=Decimal("-1"))


# --- Pages and export ---------------------------------------------------------------------------


def url(name, **kwargs):
    return reverse(name, kwargs={"tenant_slug": "alpha", **kwargs})


def _uplifted_and_event_priced(deal, project):
    """A registration at the agreed price with year 2's uplift, and one at its event's price;
    returns the first."""
    (registration,) = register(deal, project, event(deal, project, datetime.date(2026, 3, 2)))
    listed = event(
        deal, project, datetime.date(2026, 4, 2), product=deal["other_course"], unit_price=700
    )
    register(deal, project, listed)
    return registration


def test_the_registrations_tab_and_the_registration_page_say_where_the_price_came_from(
    deal, project, uplifts, world_a, client_for
):
    registration = _uplifted_and_event_priced(deal, project)
    client = client_for(world_a.staff)
    tab = client.get(url("projects:project-tab", pk=project.pk, tab="registrations"))
    text = tab.content.decode()
    assert "agreed price year 2, +3.5 %" in text and "event&#x27;s price" in text
    page = client.get(url("projects:registration-edit", project_pk=project.pk, pk=registration.pk))
    shown = " ".join(page.content.decode().split())
    assert "€1,242.00 per place from the agreed price year 2, +3.5 %; net €1,242.00" in shown


def test_a_german_company_reads_where_the_price_came_from_in_german(
    deal, project, uplifts, world_a, client_for
):
    registration = _uplifted_and_event_priced(deal, project)
    Tenant.objects.filter(pk=world_a.tenant.pk).update(language="de")
    client = client_for(world_a.staff)
    text = client.get(url("projects:project-tab", pk=project.pk, tab="registrations")).content
    text = text.decode()
    assert "vereinbarter Preis Jahr 2, +3,5 %" in text and "Preis der Veranstaltung" in text
    assert f'aria-label="Anmeldung {registration.pk} bearbeiten"' in text
    learner = registration.learner.full_name
    assert f'aria-label="{learner} in {registration.event.title} auswählen"' in text
    assert "agreed price" not in text and "event&#x27;s price" not in text


def test_the_items_tab_says_where_the_price_came_from(deal, project, uplifts, world_a, client_for):
    with activate(deal["tenant"]):
        services.item_add(
            tenant=deal["tenant"],
            by=None,
            project=project,
            product=deal["other_course"],
            date=datetime.date(2026, 5, 1),
            quantity=1,
        )
    tab = client_for(world_a.staff).get(url("projects:project-tab", pk=project.pk, tab="items"))
    assert "booking&#x27;s price list year 2, +3.5 %" in tab.content.decode()


def test_the_registrations_export_has_the_price_source(deal, project, uplifts, world_a, client_for):
    register(deal, project, event(deal, project, datetime.date(2026, 3, 2)))
    response = client_for(world_a.finance).get(
        url("projects:project-tab", pk=project.pk, tab="registrations"), {"export": "csv"}
    )
    assert response.status_code == 200
    body = b"".join(response) if response.streaming else response.content
    (row,) = csv.DictReader(io.StringIO(body.decode("utf-8-sig")))
    assert (row["unit_price"], row["price_source"]) == ("1242.00", "agreed price year 2, +3.5 %")


def test_the_event_form_sets_the_events_price(deal, project, world_a, client_for):
    with activate(deal["tenant"]):  # the project provides the listed course too
        services.project_save(
            tenant=deal["tenant"],
            by=None,
            project=project,
            product_ids=[deal["course"].pk, deal["other_course"].pk],
        )
    response = client_for(world_a.staff).post(
        url("projects:event-create", project_pk=project.pk),
        {
            "product": deal["other_course"].pk,
            "title": "Evening run",
            "start_date": "2026-05-04",
            "end_date": "2026-05-04",
            "status": "planned",
            "trainer_fee": "0",
            "venue_cost": "0",
            "other_cost": "0",
            "unit_price": "725.5",
        },
    )
    assert response.status_code == 302
    with activate(deal["tenant"]):
        saved = PrivateEvent.objects.get(title="Evening run")
    assert saved.unit_price == Decimal("725.50")
    events = client_for(world_a.staff).get(url("projects:project-tab", pk=project.pk, tab="events"))
    assert "event's price €725.50" in events.content.decode()
    (registration,) = register(deal, project, saved)
    assert (registration.unit_price, registration.price_source) == (Decimal("725.50"), "event")
    with activate(deal["tenant"]):
        assert Registration.objects.filter(price_source="event").count() == 1
