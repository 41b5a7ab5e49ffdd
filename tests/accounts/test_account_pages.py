import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Account, Contact
from accounts.platform.tenancy import activate
from tests.factories import AccountFactory, ContactFactory, RegionFactory


def url(name, **kwargs):
    return reverse(name, kwargs={"tenant_slug": "alpha", **kwargs})


def form_data(**overrides):
    data = {
        "name": "Kestrel Aerospace",
        "kind": "organisation",
        "is_active": "on",
        "sales_currency": "",
        "country": "GB",
        "city": "Derby",
        "tags": "engineering",
    }
    data.update(overrides)
    return data


def test_staff_create_an_account_and_land_on_its_page(world_a, client_for):
    response = client_for(world_a.staff).post(url("accounts:account-create"), form_data())
    with activate(world_a.tenant):
        account = Account.objects.get()
    assert response.status_code == 302
    assert response["Location"] == account.get_absolute_url()
    assert account.number == 1000 and account.city == "Derby"


def test_a_bad_currency_is_shown_on_the_form_and_nothing_is_saved(world_a, client_for):
    response = client_for(world_a.staff).post(
        url("accounts:account-create"), form_data(sales_currency="XYZ")
    )
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    with activate(world_a.tenant):
        assert not Account.objects.exists()


def test_a_parent_loop_is_explained_on_the_form(world_a, client_for):
    top = AccountFactory(tenant=world_a.tenant, name="Top")
    child = AccountFactory(tenant=world_a.tenant, name="Child", parent=top)
    response = client_for(world_a.staff).post(
        url("accounts:account-edit", pk=top.pk), form_data(name="Top", parent=child.pk)
    )
    assert response.status_code == 422
    assert "would make a loop" in response.content.decode()


def test_another_tenants_account_is_not_offered_as_parent(world_a, tenant_b, client_for):
    foreign = AccountFactory(tenant=tenant_b, name="Foreign Parent")
    client = client_for(world_a.staff)
    assert "Foreign Parent" not in client.get(url("accounts:account-create")).content.decode()
    response = client.post(url("accounts:account-create"), form_data(parent=foreign.pk))
    assert response.status_code == 422
    with activate(world_a.tenant):
        assert not Account.objects.exists()


@pytest.fixture
def listed(world_a):
    north = RegionFactory(tenant=world_a.tenant, name="North")
    group = AccountFactory(tenant=world_a.tenant, name="Meridian Group")
    AccountFactory(tenant=world_a.tenant, name="Meridian North", parent=group, region=north)
    AccountFactory(tenant=world_a.tenant, name="Jo Bloggs", kind="individual")
    AccountFactory(tenant=world_a.tenant, name="Dormant Ltd", is_active=False)
    return {"north": north, "group": group}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, {"Meridian Group", "Meridian North", "Jo Bloggs", "Dormant Ltd"}),
        ({"q": "meridian"}, {"Meridian Group", "Meridian North"}),
        ({"kind": "individual"}, {"Jo Bloggs"}),
        ({"is_active": "false"}, {"Dormant Ltd"}),
    ],
)
def test_the_list_filters(listed, world_a, client_for, query, expected):
    response = client_for(world_a.viewer).get(url("accounts:account-list"), query)
    names = {row.record.name for row in response.context["table"].page.object_list}
    assert names == expected


def test_the_list_filters_by_region_and_parent(listed, world_a, client_for):
    client = client_for(world_a.viewer)
    for query in ({"region": listed["north"].pk}, {"parent": listed["group"].pk}):
        response = client.get(url("accounts:account-list"), query)
        names = [row.record.name for row in response.context["table"].page.object_list]
        assert names == ["Meridian North"]


def test_the_list_sorts_by_number(listed, world_a, client_for):
    response = client_for(world_a.viewer).get(url("accounts:account-list"), {"sort": "-number"})
    numbers = [row.record.number for row in response.context["table"].page.object_list]
    assert numbers == sorted(numbers, reverse=True)


def _list_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url("accounts:account-list"), {"sort": "region"})
    assert response.status_code == 200
    return len(queries)


def test_the_list_runs_the_same_queries_for_5_or_500_accounts(world_a, client_for):
    client = client_for(world_a.viewer)
    parent = AccountFactory(tenant=world_a.tenant)
    region = RegionFactory(tenant=world_a.tenant)
    for account in AccountFactory.create_batch(
        4, tenant=world_a.tenant, parent=parent, region=region
    ):
        ContactFactory(account=account)
    small = _list_queries(client)
    AccountFactory.create_batch(495, tenant=world_a.tenant, parent=parent, region=region)
    assert _list_queries(client) == small


def test_the_list_paginates(world_a, client_for):
    AccountFactory.create_batch(30, tenant=world_a.tenant)
    response = client_for(world_a.viewer).get(url("accounts:account-list"))
    assert len(response.context["table"].page.object_list) == 25
    assert "30 matching customers" in response.content.decode()


@pytest.mark.parametrize("tab", ["overview", "contacts", "bookings", "projects", "invoices"])
def test_every_tab_renders_as_a_page_and_as_an_htmx_fragment(account_a, world_a, client_for, tab):
    client = client_for(world_a.viewer)
    tab_url = url("accounts:account-tab", pk=account_a.pk, tab=tab)
    page = client.get(tab_url)
    fragment = client.get(tab_url, headers={"HX-Request": "true", "HX-Target": "tab-body"})
    assert page.status_code == fragment.status_code == 200
    assert b"<html" in page.content and b"<html" not in fragment.content
    assert b'class="nav-link active"' in page.content


def test_an_unknown_tab_is_404(account_a, world_a, client_for):
    response = client_for(world_a.viewer).get(
        url("accounts:account-tab", pk=account_a.pk, tab="nope")
    )
    assert response.status_code == 404


def test_the_empty_tabs_say_so(account_a, world_a, client_for):
    response = client_for(world_a.viewer).get(
        url("accounts:account-tab", pk=account_a.pk, tab="bookings")
    )
    assert "No bookings yet" in response.content.decode()


def test_add_edit_and_delete_a_contact(account_a, world_a, client_for):
    client = client_for(world_a.staff)
    response = client.post(
        url("accounts:contact-create", account_pk=account_a.pk),
        {
            "first_name": "Nora",
            "last_name": "Jansen",
            "email": "nora@example.com",
            "is_primary": "on",
        },
    )
    assert response.status_code == 302
    with activate(world_a.tenant):
        nora = Contact.objects.get(first_name="Nora")
        assert nora.is_primary
        assert Contact.objects.filter(account=account_a, is_primary=True).count() == 1
    response = client.post(
        url("accounts:contact-edit", account_pk=account_a.pk, pk=nora.pk),
        {"first_name": "Nora", "last_name": "de Vries", "is_primary": "on"},
    )
    assert response.status_code == 302
    response = client.post(url("accounts:contact-delete", account_pk=account_a.pk, pk=nora.pk))
    assert response.status_code == 302
    with activate(world_a.tenant):
        assert not Contact.objects.filter(pk=nora.pk).exists()
        assert Contact.objects.get(account=account_a).is_primary


def test_a_contact_form_error_says_what_to_fix(account_a, world_a, client_for):
    response = client_for(world_a.staff).post(
        url("accounts:contact-create", account_pk=account_a.pk),
        {"first_name": "", "last_name": "X", "email": "not-an-email"},
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "This field is required" in body and "Enter a valid email address" in body


def test_a_contact_of_another_account_is_404(account_a, world_a, client_for):
    other = AccountFactory(tenant=world_a.tenant)
    foreign_contact = ContactFactory(account=other)
    response = client_for(world_a.staff).get(
        url("accounts:contact-edit", account_pk=account_a.pk, pk=foreign_contact.pk)
    )
    assert response.status_code == 404


def test_regions_can_be_added_and_duplicates_are_explained(world_a, client_for):
    client = client_for(world_a.staff)
    assert client.post(url("accounts:region-list"), {"name": "Scotland"}).status_code == 302
    response = client.post(url("accounts:region-list"), {"name": "Scotland"})
    assert response.status_code == 422
    assert "already exists" in response.content.decode()


def test_the_dashboard_counts_the_tenants_accounts_only(world_a, tenant_b, client_for):
    AccountFactory.create_batch(3, tenant=world_a.tenant)
    AccountFactory.create_batch(5, tenant=tenant_b)
    response = client_for(world_a.viewer).get(url("dashboard"))
    assert response.context["counts"]["organisations"] == 3
