"""Forms never list every account (issue 17, as issue 18 asks of the filters): an account field
holds the chosen account only and names the options URL tom-select searches as one types; the
form still accepts only what its field allows."""

import re

import pytest

from tests.factories import AccountFactory, ContactFactory, ProjectFactory

FORMS = [
    ("/alpha/accounts/new/", "parent", "kind=organisation"),
    ("/alpha/accounts/new/", "billing_account", "kind=organisation"),
    ("/alpha/projects/new/", "account", "kind=organisation"),
    ("/alpha/projects/new/", "billing_account", ""),
    ("/alpha/bookings/new/", "account", "kind=organisation"),
    ("/alpha/discounts/new/", "account", ""),
    ("/alpha/prepurchases/new/", "account", ""),
    ("/alpha/reports/custom/", "account", ""),
    ("/alpha/invoices/runs/", "account", ""),
    ("/alpha/invoices/runs/", "project", ""),
    ("/alpha/projects/new/", "parent", ""),
    ("/alpha/projects/new/", "main_contact", ""),
]


def select_of(html: str, name: str) -> str:
    match = re.search(rf'<select name="{name}"[^>]*>.*?</select>', html, re.S)
    assert match, name
    return match.group(0)


@pytest.mark.parametrize("path, name, extra", FORMS)
def test_an_account_field_lists_no_account_and_searches_remotely(
    world_a, client_for, path, name, extra
):
    for number in range(5):
        AccountFactory(tenant=world_a.tenant, name=f"Customer {number}")
    select = select_of(client_for(world_a.admin).get(path).content.decode(), name)
    assert re.findall(r'<option value="(\d+)"', select) == []
    assert re.search(
        r'data-options-url="/alpha/(accounts|projects|contacts)/options/\?empty=', select
    )
    assert extra in select
    # tom-select shows this in the empty box, not Django's "---------" (a browser review).
    assert 'data-placeholder="Type a few letters to search"' in select


def test_a_funders_account_is_searched_too(world_a, client_for):
    project = ProjectFactory(account=AccountFactory(tenant=world_a.tenant))
    for number in range(5):
        AccountFactory(tenant=world_a.tenant, name=f"Fund {number}")
    page = client_for(world_a.admin).get(f"/alpha/projects/{project.pk}/funders/new/")
    select = select_of(page.content.decode(), "account")
    assert re.findall(r'<option value="(\d+)"', select) == []
    assert 'data-options-url="/alpha/accounts/options/?empty=' in select
    assert "kind=organisation" in select


def test_the_chosen_account_is_the_one_option(world_a, client_for):
    chosen = AccountFactory(tenant=world_a.tenant, name="Chosen Ltd")
    AccountFactory(tenant=world_a.tenant, name="Other Ltd")
    html = client_for(world_a.admin).get("/alpha/bookings/new/", {"account": chosen.pk})
    select = select_of(html.content.decode(), "account")
    assert re.findall(r'<option value="(\d+)"', select) == [str(chosen.pk)]


def test_an_account_the_field_does_not_allow_is_still_refused(world_a, client_for):
    person = AccountFactory(tenant=world_a.tenant, kind="individual")
    response = client_for(world_a.admin).post(
        "/alpha/projects/new/", {"name": "x", "account": person.pk}
    )
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()


def test_the_contact_options_find_this_companys_contacts_by_any_word(world_a, world_b, client_for):
    account = AccountFactory(tenant=world_a.tenant, name="Kestrel")
    ContactFactory(account=account, first_name="Ada", last_name="Lovelace", email="ada@k.example")
    ContactFactory(
        account=AccountFactory(tenant=world_b.tenant), first_name="Ada", last_name="Other"
    )
    client = client_for(world_a.staff)
    found = client.get("/alpha/contacts/options/", {"q": "ada love"}).content.decode()
    assert "Ada Lovelace · Kestrel" in found and "Other" not in found
    assert (
        "Ada Lovelace"
        in client.get("/alpha/contacts/options/", {"q": "k.example"}).content.decode()
    )
    assert (
        "Nothing matches" in client.get("/alpha/contacts/options/", {"q": "zzz"}).content.decode()
    )
