"""The list pages at scale (issue 18): one COUNT per list, the same queries for few or many
rows, filters that search accounts and projects instead of listing them all, and the
options endpoints behind their search boxes."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.filters import OPTIONS_LIMIT
from accounts.models import AccountKind
from invoicing import services
from invoicing.models import Grouping
from tests.factories import AccountFactory, ContactFactory, ProjectFactory


def url(name, slug="alpha", **kwargs):
    return reverse(name, kwargs={"tenant_slug": slug, **kwargs})


def capture(client, path, params=None):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, params or {})
    assert response.status_code == 200, path
    return response, [query["sql"] for query in captured]


def counts(sqls):
    """The COUNT(*)s of a paginator (a per-row subquery counting contacts is not one)."""
    return sum(sql.upper().startswith("SELECT COUNT(") for sql in sqls)


# Queries of each list page as a viewer: session, user, the user's memberships with their
# companies (middleware; the user menu lists the others from the same rows),
# one COUNT, the page of rows; the account list also lists its regions and the project list its
# project classes (short tables).
LIST_QUERIES = {"accounts:account-list": 6, "projects:project-list": 6}


@pytest.mark.parametrize("name", sorted(LIST_QUERIES))
def test_a_list_counts_once_and_runs_the_same_queries_for_few_or_many(world_a, client_for, name):
    client = client_for(world_a.viewer)
    account = AccountFactory(tenant=world_a.tenant)
    ProjectFactory(account=account)
    ContactFactory(account=account)
    _, few = capture(client, url(name))
    for _ in range(30):
        extra = AccountFactory(tenant=world_a.tenant)
        ProjectFactory(account=extra)
        ContactFactory(account=extra)
    _, many = capture(client, url(name))
    assert counts(many) == 1, many
    assert len(few) == len(many) == LIST_QUERIES[name]


def test_the_invoice_list_counts_once_with_its_pinned_queries(act, billing, client_for):
    client = client_for(billing["world"].viewer)
    _, few = capture(client, "/alpha/invoices/")
    act(
        services.drafts_create,
        project=billing["project"],
        registration_ids=[r.pk for r in billing["registrations"]],
        grouping=Grouping.REGISTRATION,
    )
    _, many = capture(client, "/alpha/invoices/")
    assert counts(many) == 1
    assert len(few) == len(many) == 5


def test_the_account_list_counts_the_contacts_of_its_page_and_sorts_by_them(world_a, client_for):
    busy, _quiet = (AccountFactory(tenant=world_a.tenant, name=name) for name in ("Busy", "Quiet"))
    ContactFactory.create_batch(3, account=busy)
    client = client_for(world_a.viewer)
    response = client.get(url("accounts:account-list"), {"sort": "-contact_count"})
    rows = [(row.record.name, row.record.contact_count) for row in response.context["table"].page]
    assert rows[0] == ("Busy", 3) and ("Quiet", 0) in rows
    body = response.content.decode()
    assert re.search(r'<td class="text-end">\s*3\s*</td>', body)


def options_of(html: str, select_name: str) -> list[str]:
    match = re.search(rf'<select name="{select_name}"[^>]*>(.*?)</select>', html, re.S)
    assert match, select_name
    return re.findall(r'<option value="([^"]*)"', match.group(1))


def test_filters_never_list_every_account_or_project(act, billing, client_for):
    tenant = billing["tenant"]
    for n in range(30):
        ProjectFactory(account=AccountFactory(tenant=tenant, name=f"Customer {n:02}"))
    client = client_for(billing["world"].viewer)
    page = client.get("/alpha/invoices/").content.decode()
    assert options_of(page, "billing_account") == [""]
    assert options_of(page, "project") == [""]
    for name in (
        "projects:project-list",
        "agreements:booking-list",
        "agreements:discount-list",
        "agreements:prepurchase-list",
    ):
        assert options_of(client.get(url(name)).content.decode(), "account") == [""], name
    # The chosen one is shown (and only it), with the search box that finds the others.
    chosen = client.get("/alpha/invoices/", {"project": billing["project"].pk}).content.decode()
    assert options_of(chosen, "project") == ["", str(billing["project"].pk)]
    # It searches every project, finished ones too: a finished project's invoices stay listed.
    assert re.search(r'hx-get="/alpha/projects/options/\?empty=Any\+project&(amp;)?all=1"', chosen)


def test_the_options_endpoints_answer_at_most_20_matches(world_a, client_for):
    for n in range(25):
        ProjectFactory(
            account=AccountFactory(tenant=world_a.tenant, name=f"Harbour {n:02}"),
            name=f"Harbour rollout {n:02}",
        )
    person = AccountFactory(
        tenant=world_a.tenant, name="Harbour Person", kind=AccountKind.INDIVIDUAL
    )
    client = client_for(world_a.viewer)
    accounts = client.get(url("accounts:account-options"), {"q": "harbour"}).content.decode()
    values = re.findall(r'<option value="(\d+)"', accounts)
    assert len(values) == OPTIONS_LIMIT
    organisations = client.get(
        url("accounts:account-options"), {"q": "Harbour Person", "kind": "organisation"}
    )
    assert str(person.pk) not in organisations.content.decode()
    by_number = client.get(url("accounts:account-options"), {"q": str(person.number)})
    assert f'<option value="{person.pk}">' in by_number.content.decode()
    projects = client.get(url("projects:project-options"), {"q": "rollout"}).content.decode()
    assert len(re.findall(r'<option value="(\d+)"', projects)) == OPTIONS_LIMIT
    nothing = client.get(url("projects:project-options"), {"q": "zzz"}).content.decode()
    assert "Nothing matches" in nothing and not re.findall(r'value="\d+"', nothing)


@pytest.mark.parametrize("name", ["accounts:account-options", "projects:project-options"])
def test_the_options_endpoints_are_404_for_another_company(world_a, world_b, client_for, name):
    ProjectFactory(account=AccountFactory(tenant=world_a.tenant, name="Alpha only"))
    response = client_for(world_b.admin).get(url(name, slug="alpha"), {"q": "Alpha"})
    assert response.status_code == 404
    own = client_for(world_b.admin).get(url(name, slug="bravo"), {"q": "Alpha"})
    assert own.status_code == 200 and "Alpha only" not in own.content.decode()


# A project's tab as an admin: session, user, memberships, the project with its customer (the
# booking and parent project are fetched only when set), one COUNT, the events of the event
# filter, the page of rows.
TAB_QUERIES = {"registrations": 7, "items": 6, "events": 5}


@pytest.mark.parametrize("tab", sorted(TAB_QUERIES))
def test_a_project_tab_runs_the_same_queries_for_few_or_many_rows(world_a, client_for, tab):
    from tests.factories import EventFactory, ItemFactory, RegistrationFactory

    project = ProjectFactory(account=AccountFactory(tenant=world_a.tenant))
    event = EventFactory(project=project)
    RegistrationFactory(event=event, learner=ContactFactory(account=project.account))
    ItemFactory(project=project)
    client = client_for(world_a.admin)
    path = url("projects:project-tab", pk=project.pk, tab=tab)
    _, few = capture(client, path)
    for n in range(30):
        learner = ContactFactory(account=project.account) if n % 2 else None
        RegistrationFactory(event=EventFactory(project=project), learner=learner)
        ItemFactory(project=project)
    response, many = capture(client, path)
    assert len(few) == len(many) == TAB_QUERIES[tab], many
    if tab == "registrations":
        rows = response.context["table"].page.object_list
        assert len(rows) == 25 and all(row.record.event.title for row in rows)


def test_the_event_filter_lists_this_projects_events_and_filters_by_one(world_a, client_for):
    from tests.factories import EventFactory, RegistrationFactory

    project = ProjectFactory(account=AccountFactory(tenant=world_a.tenant))
    first = EventFactory(project=project, title="Excel basics")
    second = EventFactory(project=project, title="Excel advanced")
    elsewhere = EventFactory(project=ProjectFactory(account=project.account), title="Other run")
    RegistrationFactory(event=first)
    RegistrationFactory.create_batch(2, event=second)
    client = client_for(world_a.admin)
    path = url("projects:project-tab", pk=project.pk, tab="registrations")

    page = client.get(path).content.decode()
    # By date, then title: both runs start on 1 March.
    assert options_of(page, "event") == ["", str(second.pk), str(first.pk)]
    assert ">Any event</option>" in page and "Excel basics (01 Mar 2026)" in page
    assert "Other run" not in page

    chosen = client.get(path, {"event": second.pk})
    assert len(chosen.context["table"].page.object_list) == 2
    assert f'<option value="{second.pk}" selected>' in chosen.content.decode()
    refused = client.get(path, {"event": elsewhere.pk})
    assert "Select a valid choice" in refused.content.decode()
