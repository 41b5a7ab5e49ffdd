"""Saved list views and visible columns (issue 17): a user saves a list's filters and columns
under a name, opens them from the list's menu, deletes them after a confirmation; nobody else
(another user, another company) sees or deletes them; the list page runs no query for them."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.platform.models import SavedView
from accounts.platform.tenancy import activate
from tests.factories import AccountFactory, EventFactory, ProjectFactory, RegistrationFactory

LIST = "/alpha/projects/"


def save(client, name="Active ones", query="status=active", columns=("code", "name"), slug="alpha"):
    return client.post(
        f"/{slug}/views/save/",
        {
            "list": "projects:project-list",
            "name": name,
            "query": query,
            "columns": list(columns),
            "next": f"/{slug}/projects/",
        },
    )


def menu(client, slug="alpha", key="projects:project-list"):
    return client.get(f"/{slug}/views/", {"list": key, "path": f"/{slug}/projects/"})


def visible(response) -> list[str]:
    return [column.name for column in response.context["table"].columns]


def test_a_saved_view_opens_the_list_with_its_filters_and_columns(world_a, client_for):
    client = client_for(world_a.staff)
    response = save(client)
    assert response.status_code == 302
    assert response.url == f"{LIST}?status=active&columns=code&columns=name"

    page = client.get(response.url)
    assert visible(page) == ["code", "name"]
    # The hidden columns are still offered, unticked, to show again.
    offered = page.context["saved_views"]["columns"]
    assert ("account", "Customer", False) in offered and ("code", "Code", True) in offered
    assert "View “Active ones” saved." in page.content.decode()

    items = menu(client).content.decode()
    assert "Active ones" in items
    assert 'href="/alpha/projects/?status=active&amp;columns=code&amp;columns=name"' in items


def test_saving_again_under_the_same_name_replaces_the_view(world_a, client_for):
    client = client_for(world_a.staff)
    save(client)
    response = save(client, query="status=finished", columns=())
    assert response.url == f"{LIST}?status=finished"
    with activate(world_a.tenant):
        view = SavedView.objects.get()
    assert (view.query, view.columns) == ("status=finished", [])


@pytest.mark.parametrize(
    "name, problem",
    [("   ", "Give the view a name."), ("x" * 61, "60 characters"), ("a\x00b", "control")],
)
def test_a_bad_name_saves_nothing_and_says_what_to_change(world_a, client_for, name, problem):
    client = client_for(world_a.staff)
    response = save(client, name=name)
    assert response.url == LIST
    assert problem in client.get(LIST).content.decode()
    with activate(world_a.tenant):
        assert SavedView.objects.count() == 0


def test_another_user_neither_sees_nor_deletes_my_view(world_a, client_for):
    save(client_for(world_a.staff))
    with activate(world_a.tenant):
        view = SavedView.objects.get()
    finance = client_for(world_a.finance)
    assert "Active ones" not in menu(finance).content.decode()
    response = finance.post(f"/alpha/views/{view.pk}/delete/", {"confirmed": "1"})
    assert response.status_code == 404
    with activate(world_a.tenant):
        assert SavedView.objects.count() == 1


def test_another_company_gets_404_for_my_view(world_a, world_b, client_for):
    save(client_for(world_a.staff))
    with activate(world_a.tenant):
        view = SavedView.objects.get()
    other = client_for(world_b.staff)
    assert other.post(f"/bravo/views/{view.pk}/delete/", {"confirmed": "1"}).status_code == 404
    assert other.post(f"/alpha/views/{view.pk}/delete/", {"confirmed": "1"}).status_code == 404
    assert "Active ones" not in menu(other, slug="bravo").content.decode()


def test_delete_asks_once_then_deletes(world_a, client_for):
    client = client_for(world_a.staff)
    save(client)
    with activate(world_a.tenant):
        view = SavedView.objects.get()
    asked = client.post(f"/alpha/views/{view.pk}/delete/", {"next": LIST})
    assert "Delete your saved view “Active ones”?" in asked.content.decode()
    with activate(world_a.tenant):
        assert SavedView.objects.count() == 1
    done = client.post(f"/alpha/views/{view.pk}/delete/", {"next": LIST, "confirmed": "1"})
    assert done.url == LIST
    with activate(world_a.tenant):
        assert SavedView.objects.count() == 0


def test_a_viewer_chooses_columns_but_saves_nothing(world_a, client_for):
    """A viewer posts nothing (the project's rule); keeping views goes with keeping reports."""
    viewer = client_for(world_a.viewer)
    assert save(viewer).status_code == 403
    page = viewer.get(LIST, {"columns": "code"}).content.decode()
    assert "/alpha/views/save/" not in page and 'name="columns"' in page
    with activate(world_a.tenant):
        assert SavedView.objects.count() == 0


def test_the_next_address_stays_inside_the_company(world_a, client_for):
    client = client_for(world_a.staff)
    response = client.post(
        "/alpha/views/save/",
        {"list": "projects:project-list", "name": "x", "next": "https://evil.example/"},
    )
    assert response.url == "/alpha/"


def test_unknown_columns_are_ignored_and_the_row_box_always_stays(world_a, client_for):
    client = client_for(world_a.staff)
    assert visible(client.get(LIST, {"columns": ["nonsense"]}))[:2] == ["code", "name"]
    invoices = client.get("/alpha/invoices/", {"columns": ["number", "status"]})
    assert visible(invoices) == ["selected", "number", "status"]


def test_an_export_accepts_the_columns_parameter(world_a, client_for):
    response = client_for(world_a.finance).get(LIST, {"columns": "code", "export": "csv"})
    assert response.status_code == 200


def test_every_main_list_offers_saved_views_and_columns(world_a, client_for):
    account = AccountFactory(tenant=world_a.tenant)
    project = ProjectFactory(account=account)
    RegistrationFactory(event=EventFactory(project=project))
    client = client_for(world_a.staff)
    for url in ("/alpha/accounts/", LIST, "/alpha/invoices/", f"{LIST}{project.pk}/registrations/"):
        html = client.get(url).content.decode()
        assert "data-saved-views" in html, url
        assert 'name="columns"' in html, url
    registrations = client.get(f"{LIST}{project.pk}/registrations/", {"columns": "learner"})
    assert [c.name for c in registrations.context["table"].columns] == ["selected", "learner"]
    assert response_key(registrations) == "projects:registrations"


def response_key(response):
    return response.context["saved_views"]["list_key"]


def test_the_list_page_runs_no_query_for_saved_views(world_a, client_for):
    client = client_for(world_a.staff)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(LIST).status_code == 200
        return len(queries)

    before = count()
    for number in range(5):
        save(client, name=f"View {number}")
    assert count() == before  # the menu loads its items when it opens


def test_row_checkboxes_name_their_row(world_a, client_for):
    project = ProjectFactory(account=AccountFactory(tenant=world_a.tenant))
    registration = RegistrationFactory(event=EventFactory(project=project))
    html = client_for(world_a.staff).get(f"{LIST}{project.pk}/registrations/").content.decode()
    assert f'aria-label="Select {registration}"' in html
    assert 'aria-label="Select all"' in html
