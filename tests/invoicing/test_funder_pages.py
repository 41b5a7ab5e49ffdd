"""The Funders tab and the pages that add, change and remove a funder."""

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from invoicing import services
from projects import services as project_services
from projects.models import FunderKind, ProjectFunder
from tests.factories import AccountFactory


def url(name, **kwargs):
    return reverse(name, kwargs={"tenant_slug": "alpha", **kwargs})


def tab(billing):
    return url("projects:project-tab", pk=billing["project"].pk, tab="funders")


def funder(act, billing, name="Skills Fund", **fields):
    return act(
        project_services.funder_save,
        funder=ProjectFunder(
            project=billing["project"],
            kind=FunderKind.GRANT,
            name=name,
            account=AccountFactory(tenant=billing["tenant"], name=name),
            **fields,
        ),
    )


def test_staff_add_a_grant_funder_through_the_form(billing, client_for):
    grant_account = AccountFactory(tenant=billing["tenant"], name="Regional Skills Fund")
    course = billing["events"][0].product
    response = client_for(billing["world"].staff).post(
        url("projects:funder-create", project_pk=billing["project"].pk),
        {
            "kind": "grant",
            "name": "Skills grant",
            "account": grant_account.pk,
            "priority": 1,
            "percent": "40",
            "cap": "2500",
            "admin_fee_percent": "",
            "products": [course.pk],
        },
    )
    assert response.status_code == 302 and response.url.endswith("/funders/")
    saved = ProjectFunder.objects.get()
    assert (saved.percent, saved.cap, saved.account) == (
        Decimal("40"),
        Decimal("2500"),
        grant_account,
    )
    assert [scope.product for scope in saved.scopes.all()] == [course]


def test_the_form_says_what_to_change(billing, client_for):
    response = client_for(billing["world"].staff).post(
        url("projects:funder-create", project_pk=billing["project"].pk),
        {"kind": "grant", "name": "Skills grant", "priority": 1, "percent": "140"},
    )
    assert response.status_code == 422
    assert not ProjectFunder.objects.count()
    page = response.content.decode()
    assert "Choose the account its invoices go to." in page
    assert "less than or equal to 100" in page


def test_the_tab_shows_what_each_funder_paid_and_its_cap_left(act, billing, client_for):
    funder(act, billing, percent=Decimal("40"), cap=Decimal("2000"))
    drafts = act(
        services.drafts_create,
        project=billing["project"],
        registration_ids=[row.pk for row in billing["registrations"]],
        item_ids=[billing["item"].pk],
    )
    for draft in drafts:
        act(services.invoice_issue, invoice=draft, render_pdf=False)
    page = client_for(billing["world"].finance).get(tab(billing)).content.decode()
    assert "Skills Fund" in page
    assert "1,516.00" in page  # invoiced to the fund
    assert "484.00" in page  # left of its 2,000 cap
    assert "2,274.00" in page  # the customer's rest


def test_the_tab_takes_as_many_queries_for_many_funders_as_for_one(act, billing, client_for):
    client = client_for(billing["world"].finance)
    funder(act, billing, percent=Decimal("10"), cap=Decimal("100"))
    client.get(tab(billing))  # warm the caches
    with CaptureQueriesContext(connection) as one:
        assert client.get(tab(billing)).status_code == 200
    for n in range(3):
        funder(act, billing, name=f"Fund {n}", priority=n + 2, percent=Decimal("10"))
    with CaptureQueriesContext(connection) as many:
        assert client.get(tab(billing)).status_code == 200
    assert len(many) == len(one)


def test_a_viewer_sees_the_tab_but_cannot_add_a_funder(billing, client_for):
    client = client_for(billing["world"].viewer)
    page = client.get(tab(billing))
    assert page.status_code == 200 and b"Add a funder" not in page.content
    create = url("projects:funder-create", project_pk=billing["project"].pk)
    assert client.post(create, {"name": "x"}).status_code == 403


def test_removing_a_funder_asks_once(act, billing, client_for):
    spare = funder(act, billing, percent=Decimal("10"))
    client = client_for(billing["world"].staff)
    delete = url("projects:funder-delete", project_pk=billing["project"].pk, pk=spare.pk)
    question = client.post(delete)
    assert b"Remove Skills Fund" in question.content
    assert ProjectFunder.objects.count() == 1
    assert client.post(delete, {"confirmed": "1"}).status_code == 302
    assert not ProjectFunder.objects.count()
