import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Contact
from accounts.platform.tenancy import activate
from projects import services
from projects.models import (
    PrivateEvent,
    Project,
    PurchaseOrder,
    Registration,
    RegistrationStatus,
)
from tests.factories import (
    BookingFactory,
    ContactFactory,
    EventFactory,
    ItemFactory,
    ProjectFactory,
)


@pytest.fixture
def project(deal):
    with activate(deal["tenant"]):
        project = services.project_save(
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
        services.event_save(
            tenant=deal["tenant"],
            by=None,
            event=PrivateEvent(
                project=project,
                product=deal["course"],
                title="First-time manager",
                capacity=2,
                start_date=datetime.date(2026, 3, 2),
                end_date=datetime.date(2026, 3, 3),
            ),
        )
    return project


def url(name, **kwargs):
    return reverse(name, kwargs={"tenant_slug": "alpha", **kwargs})


def add_registrations(project, count):
    """Fast setup for large projects: rows written directly, learners included."""
    with activate(project.tenant):
        event = PrivateEvent.objects.filter(project=project).first()
    event = event or EventFactory(project=project)
    learners = ContactFactory.create_batch(min(count, 20), account=project.account)
    Registration.objects.bulk_create(
        [
            Registration(
                tenant=project.tenant,
                project=project,
                event=event,
                learner=learners[i % len(learners)],
                requested_date=datetime.date(2026, 1, 5),
                unit_price=Decimal("100"),
                net_amount=Decimal("100"),
                status=RegistrationStatus.DELIVERED if i % 2 else RegistrationStatus.CONFIRMED,
            )
            for i in range(count)
        ]
    )


def queries(client, path):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(captured)


@pytest.mark.parametrize("tab", ["overview", "registrations"])
def test_the_project_page_runs_the_same_queries_for_10_or_2000_registrations(
    world_a, deal, client_for, tab
):
    client = client_for(world_a.viewer)
    small = ProjectFactory(account=deal["account"], booking=deal["booking"])
    large = ProjectFactory(account=deal["account"], booking=deal["booking"])
    add_registrations(small, 10)
    add_registrations(large, 2000)
    ItemFactory.create_batch(3, project=small)
    ItemFactory.create_batch(3, project=large)
    few = queries(client, url("projects:project-tab", pk=small.pk, tab=tab))
    many = queries(client, url("projects:project-tab", pk=large.pk, tab=tab))
    assert many == few


def test_the_project_list_runs_the_same_queries_for_few_or_many_projects(world_a, deal, client_for):
    client = client_for(world_a.viewer)
    for _ in range(3):
        add_registrations(ProjectFactory(account=deal["account"]), 5)
    few = queries(client, url("projects:project-list"))
    for _ in range(30):
        add_registrations(ProjectFactory(account=deal["account"]), 5)
    assert queries(client, url("projects:project-list")) == few


def test_the_registrations_tab_paginates(world_a, deal, client_for):
    project = ProjectFactory(account=deal["account"])
    add_registrations(project, 120)
    response = client_for(world_a.viewer).get(
        url("projects:project-tab", pk=project.pk, tab="registrations")
    )
    assert len(response.context["table"].page.object_list) == 25


@pytest.mark.parametrize(
    "tab",
    ["overview", "events", "registrations", "items", "documents", "invoices", "profitability"],
)
def test_every_project_tab_renders_as_a_page_and_as_a_fragment(world_a, project, client_for, tab):
    client = client_for(world_a.viewer)
    path = url("projects:project-tab", pk=project.pk, tab=tab)
    page = client.get(path)
    fragment = client.get(path, headers={"HX-Request": "true", "HX-Target": "tab-body"})
    assert page.status_code == fragment.status_code == 200
    assert b"<html" in page.content and b"<html" not in fragment.content


def test_a_new_project_is_prefilled_from_the_booking(world_a, deal, client_for):
    response = client_for(world_a.staff).get(
        url("projects:project-create") + f"?booking={deal['booking'].pk}"
    )
    initial = response.context["form"].initial
    assert initial["account"] == deal["account"].pk and initial["booking"] == deal["booking"].pk


def test_a_new_project_for_an_account_proposes_the_currency_saving_would_set(
    world_a, deal, client_for
):
    """No sales currency, a signed booking in GBP, base currency EUR: GBP, as project_save."""
    booking = BookingFactory(account=deal["account"], currency="GBP", status="signed")
    response = client_for(world_a.staff).get(
        url("projects:project-create") + f"?account={deal['account'].pk}"
    )
    initial = response.context["form"].initial
    assert initial["booking"] == booking.pk and initial["currency"] == "GBP"
    with activate(deal["tenant"]):
        saved = services.project_save(
            tenant=deal["tenant"],
            by=None,
            project=Project(
                name="X",
                account=deal["account"],
                booking=booking,
                start_date=booking.start_date,
                end_date=booking.end_date,
            ),
        )
    assert saved.currency == initial["currency"]


def test_staff_create_a_project_and_errors_say_what_to_change(world_a, deal, client_for):
    client = client_for(world_a.staff)
    data = {
        "name": "Leadership 2026",
        "account": deal["account"].pk,
        "booking": deal["booking"].pk,
        "start_date": "2026-06-01",
        "end_date": "2026-01-01",
        "project_type": "invoiceable",
        "budget_policy": "warning",
        "revenue_recognition": "on_invoice",
    }
    response = client.post(url("projects:project-create"), data)
    assert response.status_code == 422
    assert "cannot be before the start date" in response.content.decode()
    data["end_date"] = "2026-12-31"
    response = client.post(url("projects:project-create"), data)
    assert response.status_code == 302
    with activate(deal["tenant"]):
        project = Project.objects.get()
        assert project.products.count() == 1 and project.currency == "EUR"


def test_an_event_added_on_the_page_without_a_title_takes_the_course_name(
    world_a, deal, project, client_for
):
    response = client_for(world_a.staff).post(
        url("projects:event-create", project_pk=project.pk),
        {
            "product": deal["course"].pk,
            "title": "",
            "start_date": "2026-05-04",
            "end_date": "2026-05-05",
            "capacity": 8,
            "status": "planned",
            "trainer_fee": "0",
            "venue_cost": "0",
            "other_cost": "0",
        },
    )
    assert response.status_code == 302
    with activate(deal["tenant"]):
        added = PrivateEvent.objects.get(project=project, start_date=datetime.date(2026, 5, 4))
    assert added.title == deal["course"].name


def test_registering_through_the_form_asks_to_confirm_a_full_event(
    world_a, deal, project, client_for
):
    client = client_for(world_a.staff)
    with activate(deal["tenant"]):
        event = PrivateEvent.objects.get(project=project)
    learners = [c.pk for c in deal["learners"][:3]]
    data = {
        "event": event.pk,
        "learners": learners,
        "places": 1,
        "requested_date": "2026-02-01",
        "discount": "auto",
    }
    response = client.post(url("projects:registration-add", project_pk=project.pk), data)
    assert response.status_code == 409
    assert "is full: 0 of 2 places are taken and 3 more" in response.content.decode()
    assert 'name="confirm" value="True"' in response.content.decode()
    with activate(deal["tenant"]):
        assert not Registration.objects.exists()
    response = client.post(
        url("projects:registration-add", project_pk=project.pk), {**data, "confirm": "True"}
    )
    assert response.status_code == 302
    with activate(deal["tenant"]):
        assert Registration.objects.count() == 3


def test_marking_the_ticked_registrations_delivered(world_a, deal, project, client_for):
    add_registrations(project, 4)
    with activate(deal["tenant"]):
        ids = list(Registration.objects.values_list("pk", flat=True)[:2])
    client_for(world_a.staff).post(
        url("projects:registration-bulk-status", project_pk=project.pk),
        {"selected": ids, "status": "delivered"},
    )
    with activate(deal["tenant"]):
        assert set(Registration.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
            "delivered"
        }


def test_cancelling_the_ticked_registrations_shows_the_fees_and_asks_first(
    world_a, deal, project, client_for
):
    add_registrations(project, 4)
    with activate(deal["tenant"]):
        ids = list(Registration.objects.filter(status="confirmed").values_list("pk", flat=True))[:2]
    client = client_for(world_a.staff)
    response = client.post(
        url("projects:registration-bulk-status", project_pk=project.pk),
        {"selected": ids, "status": "cancelled"},
    )
    assert response.status_code == 302 and "/registrations/cancel/?" in response["Location"]
    page = client.get(response["Location"])
    assert page.status_code == 200
    text = page.content.decode()
    assert "Cancel 2 places" in text and "no terms" in text  # the company has no terms: free
    with activate(deal["tenant"]):  # nothing happened yet
        assert set(Registration.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
            "confirmed"
        }
    data = {"selected": ids, "no_show": "0", "confirm": "1", **{f"fee_{pk}": "0.00" for pk in ids}}
    done = client.post(url("projects:registration-cancel", project_pk=project.pk), data)
    assert done.status_code == 302
    with activate(deal["tenant"]):
        assert set(Registration.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
            "cancelled"
        }


def test_the_registrations_tab_filters(world_a, deal, project, client_for):
    add_registrations(project, 6)
    response = client_for(world_a.viewer).get(
        url("projects:project-tab", pk=project.pk, tab="registrations"), {"status": "delivered"}
    )
    statuses = {row.record.status for row in response.context["table"].page.object_list}
    assert statuses == {"delivered"}


def test_the_registrations_tab_filters_by_event_and_lists_an_event_added_since(
    world_a, deal, project, client_for
):
    """The event choices are kept with the overview's figures until the next write: an event
    added afterwards is offered at once, and choosing one shows its registrations only."""
    add_registrations(project, 3)
    client = client_for(world_a.staff)
    tab = url("projects:project-tab", pk=project.pk, tab="registrations")
    assert "First-time manager (02 Mar 2026)</option>" in client.get(tab).content.decode()
    with activate(deal["tenant"]):
        later = services.event_save(
            tenant=deal["tenant"],
            by=None,
            event=PrivateEvent(
                project=project,
                product=deal["course"],
                title="Coaching clinic",
                capacity=5,
                start_date=datetime.date(2026, 6, 1),
                end_date=datetime.date(2026, 6, 1),
            ),
        )
        Registration.objects.filter(pk=Registration.objects.order_by("pk").first().pk).update(
            event=later
        )
    response = client.get(tab, {"event": later.pk})
    page = response.content.decode()
    assert f'<option value="{later.pk}" selected>Coaching clinic (01 Jun 2026)</option>' in page
    events = {row.record.event_id for row in response.context["table"].page.object_list}
    assert events == {later.pk}


def test_the_account_and_booking_tabs_list_their_projects(world_a, deal, project, client_for):
    client = client_for(world_a.viewer)
    for path in (
        url("accounts:account-tab", pk=deal["account"].pk, tab="projects"),
        url("agreements:booking-tab", pk=deal["booking"].pk, tab="projects"),
    ):
        assert project.code in client.get(path).content.decode()


def csv(text):
    return SimpleUploadedFile("registrations.csv", text.encode())


def test_the_import_lists_bad_rows_and_saves_nothing(world_a, deal, project, client_for):
    response = client_for(world_a.staff).post(
        url("projects:registration-import", pk=project.pk),
        {
            "file": csv(
                "event,learner_email,first_name,last_name,requested_date\n"
                "First-time manager,new@meridian.example,Nina,New,2026-02-01\n"
                "Nope course,x@meridian.example,A,B,2026-02-01\n"
                "First-time manager,ghost@meridian.example,,,2026-02-01\n"
                "First-time manager,,,,31/31/2026\n"
            )
        },
    )
    assert response.status_code == 422
    errors = dict(response.context["report"].errors)
    assert "no event is called “Nope course”" in errors[3]
    assert "give first_name and last_name" in errors[4]
    assert "not a date" in errors[5]
    with activate(deal["tenant"]):
        assert not Registration.objects.exists()
        assert not Contact.objects.filter(email="new@meridian.example").exists()


def test_a_valid_import_adds_new_learners_and_asks_to_confirm_warnings(
    world_a, deal, project, client_for
):
    client = client_for(world_a.staff)
    existing = deal["learners"][0]
    response = client.post(
        url("projects:registration-import", pk=project.pk),
        {
            "file": csv(
                "event,learner_email,first_name,last_name,requested_date\n"
                f"First-time manager,{existing.email},,,2026-02-01\n"
                "First-time manager,nina@meridian.example,Nina,New,01/02/2026\n"
                "First-time manager,omar@meridian.example,Omar,Other,2026-02-01\n"
            )
        },
    )
    assert response.status_code == 200
    report = response.context["report"]
    assert report.new == 3 and report.warnings and "full" in report.warnings[0][1]
    token = response.context["token"]
    refused = client.post(url("projects:registration-import", pk=project.pk), {"token": token})
    assert refused.status_code == 422
    with activate(deal["tenant"]):
        assert not Registration.objects.exists()
    done = client.post(
        url("projects:registration-import", pk=project.pk),
        {"token": token, "confirm_warnings": "1"},
    )
    assert done.status_code == 302
    with activate(deal["tenant"]):
        assert Registration.objects.count() == 3
        assert Contact.objects.filter(
            email="nina@meridian.example", account=deal["account"]
        ).exists()


@pytest.fixture
def admin_b(world_b, client_for):
    client = client_for(world_b.admin)
    client.get("/bravo/settings/admin/")
    return client


@pytest.mark.parametrize(
    "model", ["project", "privateevent", "registration", "item", "projectdocument", "purchaseorder"]
)
def test_every_projects_model_has_a_working_admin_page(admin_b, world_b, model):
    from tests.factories import AccountFactory, RegistrationFactory

    project = ProjectFactory(account=AccountFactory(tenant=world_b.tenant))
    RegistrationFactory(event=EventFactory(project=project))
    assert admin_b.get(reverse(f"admin:projects_{model}_changelist")).status_code == 200


def test_the_admin_shows_a_tenant_admin_only_its_projects(admin_b, world_b, deal):
    from tests.factories import AccountFactory

    ProjectFactory(account=AccountFactory(tenant=world_b.tenant), name="Bravo project")
    ProjectFactory(account=deal["account"], name="Alpha project")
    page = admin_b.get(reverse("admin:projects_project_changelist")).content.decode()
    assert "Bravo project" in page and "Alpha project" not in page


def test_the_registrations_tab_finds_a_learner_by_name_or_email(world_a, deal, project, client_for):
    add_registrations(project, 6)
    someone = ContactFactory(
        account=deal["account"],
        first_name="Zelda",
        last_name="Quinn",
        email="zelda.q@meridian.example",
    )
    with activate(deal["tenant"]):
        Registration.objects.filter(pk=Registration.objects.first().pk).update(learner=someone)
    client = client_for(world_a.viewer)
    for query in ("zelda", "QUINN", "zelda.q@"):
        response = client.get(
            url("projects:project-tab", pk=project.pk, tab="registrations"), {"learner": query}
        )
        learners = {row.record.learner for row in response.context["table"].page.object_list}
        assert learners == {someone}, query


def test_the_registrations_tab_shows_purchase_orders_at_a_constant_query_count(
    world_a, deal, client_for
):
    """The rows' purchase orders come in one more query for the page (when any row has one),
    not a join planned on every page (issue 18) and not a query per row."""
    client = client_for(world_a.viewer)
    project = ProjectFactory(account=deal["account"], booking=deal["booking"])
    add_registrations(project, 30)
    path = url("projects:project-tab", pk=project.pk, tab="registrations")
    without = queries(client, path)
    with activate(project.tenant):
        orders = [
            PurchaseOrder.objects.create(tenant=project.tenant, project=project, number=f"PO-{n}")
            for n in range(3)
        ]
        for number, registration in enumerate(Registration.objects.filter(project=project)):
            registration.purchase_order = orders[number % 3]
            registration.save(update_fields=["purchase_order"])
    assert queries(client, path) == without + 1
    body = client.get(path).content.decode()
    assert all(order.number in body for order in orders)


@pytest.mark.parametrize("tab", ["overview", "registrations"])
def test_the_header_links_the_booking_and_the_parent_each_in_one_query_when_set(
    world_a, deal, client_for, tab
):
    """The booking and the parent project are read only when the project has them (issue 18:
    their prefetch compiled a query on every page, even for an empty key)."""
    client = client_for(world_a.viewer)
    plain = ProjectFactory(account=deal["account"])
    parent = ProjectFactory(account=deal["account"], code="PARENT-1")
    child = ProjectFactory(account=deal["account"], booking=deal["booking"], parent=parent)
    plain_page = url("projects:project-tab", pk=plain.pk, tab=tab)
    child_page = url("projects:project-tab", pk=child.pk, tab=tab)
    if tab == "registrations":  # shows nothing else of them (the overview does)
        assert queries(client, child_page) == queries(client, plain_page) + 2
    html = client.get(child_page).content.decode()
    assert f'href="{deal["booking"].get_absolute_url()}"' in html
    assert f'href="{parent.get_absolute_url()}">PARENT-1</a>' in html
    assert "PARENT-1" not in client.get(plain_page).content.decode()


@pytest.mark.parametrize("tab", ["registrations", "events"])
def test_a_project_tab_compiles_no_query_it_does_not_run(
    world_a, deal, client_for, tab, monkeypatch
):
    """`prefetch_related()` of an empty key compiled a whole query to run nothing (Django
    stops at EmptyResultSet): three of them on every registrations tab (issue 18)."""
    from django.core.exceptions import EmptyResultSet
    from django.db.models.sql.compiler import SQLCompiler

    wasted = []
    as_sql = SQLCompiler.as_sql

    def counting(self, *args, **kwargs):
        try:
            return as_sql(self, *args, **kwargs)
        except EmptyResultSet:
            wasted.append(self.query.model.__name__)
            raise

    project = ProjectFactory(account=deal["account"])  # no booking, no parent
    add_registrations(project, 30)  # no purchase orders
    client = client_for(world_a.viewer)
    monkeypatch.setattr(SQLCompiler, "as_sql", counting)
    assert client.get(url("projects:project-tab", pk=project.pk, tab=tab)).status_code == 200
    assert wasted == []
