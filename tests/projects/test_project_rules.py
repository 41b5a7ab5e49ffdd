import datetime

import pytest
from django.core.exceptions import ValidationError

from accounts.platform.tenancy import activate
from projects import services
from projects.models import EventStatus, PrivateEvent, Project, ProjectStatus, PurchaseOrder
from tests.factories import AccountFactory, BookingFactory, ContactFactory, ProductFactory

START, END = datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)


def create(deal, **fields):
    values = {
        "name": "Leadership 2026",
        "account": deal["account"],
        "start_date": START,
        "end_date": END,
    }
    values.update(fields)
    with activate(deal["tenant"]):
        return services.project_save(
            tenant=deal["tenant"], by=deal["world"].staff, project=Project(**values)
        )


def event(deal, project, **fields):
    values = {
        "project": project,
        "product": deal["course"],
        "title": "First-time manager",
        "start_date": datetime.date(2026, 3, 2),
        "end_date": datetime.date(2026, 3, 3),
    }
    values.update(fields)
    with activate(deal["tenant"]):
        return services.event_save(
            tenant=deal["tenant"], by=deal["world"].staff, event=PrivateEvent(**values)
        )


def register(deal, project, the_event, **kwargs):
    kwargs.setdefault("learners", deal["learners"][:1])
    with activate(deal["tenant"]):
        return services.registrations_add(
            tenant=deal["tenant"],
            by=deal["world"].staff,
            project=project,
            event=the_event,
            **kwargs,
        )


def test_codes_are_assigned_per_tenant(deal, world_b):
    first, second = create(deal), create(deal)
    other_account = AccountFactory(tenant=world_b.tenant)
    with activate(world_b.tenant):
        other = services.project_save(
            tenant=world_b.tenant,
            by=world_b.staff,
            project=Project(name="X", account=other_account, start_date=START, end_date=END),
        )
    assert (first.code, second.code, other.code) == ("PR-1001", "PR-1002", "PR-1001")


def test_a_project_on_an_individual_is_refused(deal):
    person = AccountFactory(tenant=deal["tenant"], kind="individual", name="Jo Bloggs")
    with pytest.raises(ValidationError, match="Jo Bloggs is an individual"):
        create(deal, account=person)


def test_the_end_is_not_before_the_start(deal):
    with pytest.raises(ValidationError, match="cannot be before"):
        create(deal, end_date=datetime.date(2025, 12, 31))


def test_defaults_come_from_the_account_and_booking(deal):
    billing = AccountFactory(tenant=deal["tenant"], email="ap@meridian.example")
    deal["account"].billing_account = billing
    deal["account"].save()
    project = create(deal, booking=deal["booking"])
    primary = deal["learners"][0]
    assert project.billing_account == billing
    assert project.currency == "EUR"
    assert project.main_contact == primary
    assert project.invoice_email == primary.email
    with activate(deal["tenant"]):
        assert list(project.products.values_list("product__code", flat=True)) == ["LEAD-101"]


def test_the_accounts_sales_currency_is_forced(deal):
    deal["account"].sales_currency = "GBP"
    deal["account"].save()
    assert create(deal).currency == "GBP"
    with pytest.raises(ValidationError, match="buys in GBP"):
        create(deal, currency="EUR")


@pytest.mark.parametrize(
    "sales_currency, booking_currency, expected",
    [("", "GBP", "GBP"), ("GBP", None, "GBP"), ("", None, "EUR"), ("USD", "USD", "USD")],
)
def test_the_form_proposes_the_currency_project_save_would_set(
    deal, sales_currency, booking_currency, expected
):
    """project_defaults (the new-project form) and project_save share one rule: the customer's
    sales currency, else the booking's, else the company's base currency (EUR here)."""
    account = AccountFactory(tenant=deal["tenant"], sales_currency=sales_currency)
    booking = None
    if booking_currency:
        booking = BookingFactory(account=account, currency=booking_currency, status="signed")
    with activate(deal["tenant"]):
        proposed = services.project_defaults(tenant=deal["tenant"], account=account)
    saved = create(deal, account=account, booking=booking)
    assert proposed["currency"] == saved.currency == expected
    assert proposed.get("booking") == (booking.pk if booking else None)


def test_the_form_proposes_the_given_booking_with_its_customer_name_and_dates(deal):
    with activate(deal["tenant"]):
        proposed = services.project_defaults(tenant=deal["tenant"], booking=deal["booking"])
    booking = deal["booking"]
    assert proposed == {
        "account": deal["account"].pk,
        "booking": booking.pk,
        "name": booking.name,
        "start_date": booking.start_date,
        "end_date": booking.end_date,
        "currency": "EUR",
        "budget_policy": "warning",  # the company's default (no project settings saved)
    }


def test_an_event_without_a_title_takes_the_course_name(deal):
    project = create(deal)
    assert event(deal, project, title="").title == deal["course"].name
    assert event(deal, project, title="Cohort 2").title == "Cohort 2"


def test_a_booking_of_the_parent_account_may_be_used_but_not_a_strangers(deal):
    child = AccountFactory(tenant=deal["tenant"], parent=deal["account"])
    assert create(deal, account=child, booking=deal["booking"]).booking == deal["booking"]
    stranger = BookingFactory(account=AccountFactory(tenant=deal["tenant"], name="Stranger"))
    with pytest.raises(ValidationError, match="belongs to Stranger"):
        create(deal, booking=stranger)


def test_another_tenants_rows_cannot_be_linked(deal, tenant_b):
    with pytest.raises(ValidationError):
        create(deal, account=AccountFactory(tenant=tenant_b))
    with pytest.raises(ValidationError):
        create(deal, main_contact=ContactFactory(account=AccountFactory(tenant=tenant_b)))


@pytest.mark.parametrize("field", ["account", "currency"])
def test_customer_and_currency_lock_once_anything_is_priced(deal, field):
    project = create(deal, booking=deal["booking"])
    if field == "account":
        project.account = AccountFactory(tenant=deal["tenant"])
        project.billing_account = project.account
        project.booking = project.main_contact = None
    else:
        project.currency = "USD"
    with activate(deal["tenant"]):
        services.project_save(tenant=deal["tenant"], by=None, project=project)  # nothing priced
    project = create(deal, booking=deal["booking"])
    register(deal, project, event(deal, project))
    if field == "account":
        project.account = AccountFactory(tenant=deal["tenant"])
    else:
        project.currency = "USD"
    with activate(deal["tenant"]), pytest.raises(ValidationError, match="cannot change"):
        services.project_save(tenant=deal["tenant"], by=None, project=project)


def set_status(deal, project, status):
    with activate(deal["tenant"]):
        return services.project_set_status(
            tenant=deal["tenant"], by=None, project=project, status=status
        )


def test_finishing_sets_the_finished_date_and_reopening_clears_it(deal):
    project = set_status(deal, create(deal), ProjectStatus.FINISHED)
    assert project.finished_date is not None
    project = set_status(deal, project, ProjectStatus.ACTIVE)
    assert project.finished_date is None


def test_a_parent_cannot_finish_before_its_sub_projects(deal):
    parent = create(deal)
    child = create(deal, parent=parent, name="North site")
    with pytest.raises(ValidationError, match="Finish the sub-projects first"):
        set_status(deal, parent, ProjectStatus.FINISHED)
    set_status(deal, child, ProjectStatus.FINISHED)
    assert set_status(deal, parent, ProjectStatus.FINISHED).status == ProjectStatus.FINISHED


def test_a_project_cannot_be_below_itself(deal):
    parent = create(deal)
    child = create(deal, parent=parent)
    parent.parent = child
    with activate(deal["tenant"]), pytest.raises(ValidationError, match="below itself"):
        services.project_save(tenant=deal["tenant"], by=None, project=parent)


@pytest.mark.parametrize("status", [ProjectStatus.NO_MORE_TRANSACTIONS, ProjectStatus.FINISHED])
def test_no_new_registrations_items_or_events_unless_active(deal, status):
    project = create(deal)
    the_event = event(deal, project)
    set_status(deal, project, status)
    with pytest.raises(ValidationError, match="no new registrations or items"):
        register(deal, project, the_event)
    with activate(deal["tenant"]), pytest.raises(ValidationError, match="no new registrations"):
        services.item_add(
            tenant=deal["tenant"],
            by=None,
            project=project,
            product=deal["other_course"],
            date=START,
            quantity=1,
        )
    with pytest.raises(ValidationError, match="no new events"):
        event(deal, project)


def test_learning_paths_and_items_are_never_events(deal):
    project = create(deal)
    path = ProductFactory(tenant=deal["tenant"], kind="learning_path")
    with pytest.raises(ValidationError, match="Learning paths"):
        event(deal, project, product=path)
    material = ProductFactory(tenant=deal["tenant"], kind="item")
    with pytest.raises(ValidationError, match="add materials and fees as items"):
        event(deal, project, product=material, status=EventStatus.PLANNED)


def test_a_copy_keeps_settings_products_and_purchase_orders_but_no_transactions(deal):
    source = create(deal, booking=deal["booking"], tags="public-sector")
    PurchaseOrder.objects.create(tenant=deal["tenant"], project=source, number="PO-1")
    register(deal, source, event(deal, source))
    with activate(deal["tenant"]):
        copy = services.project_copy(
            tenant=deal["tenant"], by=None, source=source, name="Leadership 2027"
        )
        assert copy.code != source.code and copy.tags == "public-sector"
        assert list(copy.products.values_list("product__code", flat=True)) == ["LEAD-101"]
        assert list(copy.purchase_orders.values_list("number", flat=True)) == ["PO-1"]
        assert not copy.registrations.exists() and not copy.events.exists()
