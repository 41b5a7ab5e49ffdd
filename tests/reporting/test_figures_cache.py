"""Cached figures (issue 18, `reporting.freshness`): the dashboard, the profitability report,
the project's money tabs and aged receivables are served from a cache until a write commits;
after any write, through any service (or none), they equal the selectors' one definition.

Tests run inside a transaction that never commits, so `commit()` runs what a commit would: the
version bumps waiting for it."""

import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.platform import figures as figures_cache
from accounts.platform.models import Membership
from accounts.platform.money import line_net
from accounts.platform.tenancy import activate, scopes_disabled
from invoicing import selectors as invoicing_selectors
from invoicing import services
from invoicing.models import ExchangeRate, Invoice
from projects import selectors as project_selectors
from projects.models import PrivateEvent, Project, Registration
from projects.services import events as event_services
from projects.services import projects as project_services
from projects.services import rows as row_services
from reporting import custom, freshness
from reporting.aged import aged_receivables
from reporting.dashboard_selectors import dashboard
from reporting.phases import phase_figures
from reporting.selectors import profitability, project_figures
from tests.factories import (
    AccountFactory,
    ContactFactory,
    EventFactory,
    ItemFactory,
    ProductFactory,
    ProjectFactory,
)

TODAY = datetime.date.today()


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    freshness._recent.clear()
    yield
    cache.clear()
    freshness._recent.clear()


def commit():
    """What the commit of the test's transaction would do: run the pending version bump and
    forget it (the next write queues a new one)."""
    for bump in freshness._pending(connection):
        bump()
    connection.run_on_commit = [
        entry for entry in connection.run_on_commit if not isinstance(entry[1], freshness._Bump)
    ]
    assert not freshness.pending()


CALLS = {
    "dashboard": (dashboard, {"base_currency": "EUR"}),
    "profitability": (
        profitability,
        {"group_by": "project", "date_from": None, "date_to": None, "base_currency": "EUR"},
    ),
    "by month": (
        profitability,
        {"group_by": "month", "date_from": None, "date_to": None, "base_currency": "EUR"},
    ),
    "aged": (aged_receivables, {"as_of": TODAY, "base_currency": "EUR"}),
    "custom report": (
        custom.run,
        {"definition": custom.Definition(["product", "quarter"], ["places", "invoiced", "cost"])},
    ),
}


def cached_figures(tenant):
    """Every cached figure as the views read them, and the projects' own."""
    with activate(tenant):
        figures = {
            name: freshness.cached(name, function, **kwargs)
            for name, (function, kwargs) in CALLS.items()
        }
        for project in Project.objects.order_by("pk"):
            figures[project.code] = freshness.cached("project", project_figures, project=project)
            # The overview's own sums, cached through the platform's interface as the tab does.
            for name, function in OVERVIEW.items():
                figures[f"{project.code} {name}"] = _comparable(
                    figures_cache.cached(name, function, project=project)
                )
    return figures


def defined_figures(tenant):
    """The same figures straight from the selectors."""
    with activate(tenant):
        figures = {name: function(**kwargs) for name, (function, kwargs) in CALLS.items()}
        for project in Project.objects.order_by("pk"):
            figures[project.code] = project_figures(project)
            for name, function in OVERVIEW.items():
                figures[f"{project.code} {name}"] = _comparable(function(project=project))
    return figures


# The project overview's sums (`projects.views.tab_contexts.overview_context`) and its invoices
# tab's (`invoicing.views.project_invoices_context`) and phases tab's (`reporting.phases`).
OVERVIEW = {
    "project-totals": project_selectors.project_totals,
    "burn-down": project_selectors.burn_down,
    "purchase-orders": project_selectors.purchase_orders_of,
    "billing-summary": invoicing_selectors.billing_summary,
    "deposit-summary": invoicing_selectors.deposit_summary,
    "phases": phase_figures,
    # Not sums, but kept the same way: the overview's products and sub-projects, the
    # registrations tab's event choices.
    "overview-lists": lambda project: project_selectors.overview_lists(
        project, Membership.objects.filter(role="admin").first()
    ),
    "event-choices": project_selectors.event_choices,
}


def _comparable(value):
    # Rows compare by id only: what the page shows of them is compared here instead.
    if isinstance(value, dict) and "sub_projects" in value:
        return {
            **value,
            "sub_projects": [(p.pk, p.code, p.name, p.status) for p in value["sub_projects"]],
        }
    if isinstance(value, list) and value and hasattr(value[0], "remaining"):
        return [(order.pk, order.used, order.remaining) for order in value]
    if isinstance(value, dict) and "phase_rows" in value:
        return {
            **value,
            "phase_rows": [_phase_row(row) for row in value["phase_rows"]],
            "phase_totals": _phase_row(value["phase_totals"]),
        }
    return value


def _phase_row(row):
    milestones = [
        (m.pk, m.billed, m.on_invoice, m.is_due, m.waiting_for_events) for m in row.milestones
    ]
    return (row.phase and row.phase.pk, row.planned, row.delivered, row.invoiced, milestones)


def test_the_cache_answers_until_a_write_commits(books):
    commit()
    first = cached_figures(books)
    assert first == defined_figures(books)
    with CaptureQueriesContext(connection) as queries, activate(books):
        again = freshness.cached("dashboard", dashboard, base_currency="EUR")
    assert again == first["dashboard"]
    assert len(queries) == 1  # the version: no figure is computed again
    with activate(books):
        Registration.objects.filter(status="delivered").update(net_amount=Decimal("1"))
    commit()
    after = cached_figures(books)
    assert after == defined_figures(books)
    assert after["dashboard"]["wip"] != first["dashboard"]["wip"]


def _credit_the_rest(tenant, by):
    invoice = Invoice.objects.filter(kind="invoice", currency="EUR").get()
    services.invoice_credit(tenant=tenant, by=by, invoice=invoice, reason="Cancelled")


def _pay(tenant, by):
    invoice = Invoice.objects.filter(kind="invoice", currency="EUR").get()
    services.payment_record(
        tenant=tenant,
        by=by,
        billing_account=invoice.billing_account,
        amount=Decimal("100"),
        currency="EUR",
        invoices=[invoice],
    )


def _new_rate(tenant, by):
    rate = ExchangeRate(currency="GBP", date=datetime.date(2026, 4, 25), rate=Decimal("1.5"))
    services.exchange_rate_save(tenant=tenant, by=by, rate=rate)


def _event_cost(tenant, by):
    event = PrivateEvent.objects.filter(trainer_fee=Decimal("500")).get()
    event.trainer_fee = Decimal("800")
    event_services.event_save(tenant=tenant, by=by, event=event)


def _recognition(tenant, by):
    project = Project.objects.get(code="PR-EUR")
    project.revenue_recognition = "on_delivery"
    project_services.project_save(tenant=tenant, by=by, project=project)


def _back_to_confirmed(tenant, by):
    project = Project.objects.get(code="PR-EUR")
    ids = list(project.registrations.values_list("pk", flat=True))
    row_services.registrations_set_status(
        tenant=tenant, by=by, project=project, ids=ids, status="confirmed"
    )


def _invoice_the_item(tenant, by):
    project = Project.objects.get(code="PR-GBP")
    (draft,) = services.drafts_create(
        tenant=tenant, by=by, project=project, item_ids=[project.items.get().pk]
    )
    services.invoice_issue(tenant=tenant, by=by, invoice=draft, on_date=datetime.date(2026, 4, 20))


@pytest.mark.parametrize(
    "change",
    [
        _credit_the_rest,
        _pay,
        _new_rate,
        _event_cost,
        _recognition,
        _back_to_confirmed,
        _invoice_the_item,
    ],
)
def test_every_service_that_moves_money_moves_the_cached_figures(books, world_a, change):
    commit()
    before = cached_figures(books)
    with activate(books):
        change(books, world_a.admin)
    commit()
    after = cached_figures(books)
    assert after != before, "the change should move a figure"
    assert after == defined_figures(books)


def test_a_transaction_that_wrote_reads_its_own_figures(books):
    commit()
    before = cached_figures(books)
    with transaction.atomic():
        with activate(books):
            Registration.objects.filter(status="delivered").update(unit_cost=Decimal("0"))
        assert freshness.pending()
        inside = cached_figures(books)
        assert inside == defined_figures(books)
    assert inside["profitability"] != before["profitability"]


def test_a_login_moves_nothing_and_a_write_outside_any_tenant_moves_every_tenant(
    books, world_a, world_b, client_for
):
    commit()
    alpha, bravo = freshness.version(world_a.tenant.pk), freshness.version(world_b.tenant.pk)
    client_for(world_a.viewer)  # logs in: stamps the user's last login
    commit()
    assert freshness.version(world_a.tenant.pk) == alpha
    with scopes_disabled():
        Project.objects.filter(code="PR-EUR").update(name="Renamed by the platform")
    commit()
    assert freshness.version(world_a.tenant.pk) != alpha
    assert freshness.version(world_b.tenant.pk) != bravo


def test_a_write_of_one_tenant_keeps_the_others_cache(books, world_a, world_b):
    commit()
    bravo = freshness.version(world_b.tenant.pk)
    with activate(world_a.tenant):
        Registration.objects.update(notes="seen")
    commit()
    assert freshness.version(world_b.tenant.pk) == bravo


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    changes=st.lists(
        st.tuples(
            st.sampled_from(["registration", "item", "event cost", "status", "project"]),
            st.sampled_from(["EUR", "GBP"]),
            st.integers(min_value=1, max_value=3),
            st.decimals(min_value=0, max_value=900, places=2),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_the_cached_figures_equal_the_definition_after_random_changes(books, world_a, changes):
    """Random rows, costs, statuses and invoices, written one after the other: after each
    commit, what the cache serves is what the selectors compute."""
    tenant = books
    commit()
    cached_figures(tenant)  # warm
    for kind, currency, places, amount in changes:
        with activate(tenant):
            project = Project.objects.filter(currency=currency).order_by("pk").first()
            event = PrivateEvent.objects.filter(project=project).order_by("pk").first()
            if kind == "registration":
                Registration.objects.create(
                    tenant=tenant,
                    project=project,
                    event=event,
                    places=places,
                    requested_date=event.start_date,
                    status="delivered",
                    unit_price=amount,
                    net_amount=amount * places,
                    unit_cost=amount / 4,
                )
            elif kind == "item":
                ItemFactory(
                    project=project,
                    product=ProductFactory(tenant=tenant, currency=currency, kind="fee"),
                    date=event.end_date,
                    quantity=Decimal(places),
                    unit_price=amount,
                    net_amount=line_net(Decimal(places), amount, 0, currency),
                    unit_cost=Decimal("5"),
                )
            elif kind == "event cost":
                PrivateEvent.objects.filter(pk=event.pk).update(venue_cost=amount)
            elif kind == "status":
                row = Registration.objects.filter(project=project).order_by("-pk").first()
                Registration.objects.filter(pk=row.pk).update(
                    status="no_show" if row.status == "delivered" else "delivered"
                )
            else:
                EventFactory(
                    project=ProjectFactory(
                        account=AccountFactory(tenant=tenant), currency=currency
                    ),
                    start_date=TODAY,
                    end_date=TODAY,
                    status="delivered",
                    trainer_fee=amount,
                )
        commit()
        assert cached_figures(tenant) == defined_figures(tenant)


def test_a_page_reads_the_version_once_however_many_figures_it_shows(books, world_a, client_for):
    with activate(books):
        project = Project.objects.order_by("pk").first()
    client = client_for(world_a.admin)
    commit()
    client.get(f"/alpha/projects/{project.pk}/")  # computes and stores the figures
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/alpha/projects/{project.pk}/")
    assert response.status_code == 200
    reads = [q for q in queries if "reporting_figuresversion" in q["sql"]]
    assert len(reads) == 1, [q["sql"] for q in queries]
    # The overview's totals, money panel and order usage came from the cache: no sum ran.
    assert not [q for q in queries if 'SUM("projects_registration"' in q["sql"]]


def test_a_request_that_writes_reads_the_new_version_afterwards(books):
    commit()
    freshness._request_started()
    try:
        before = freshness.version(books.pk)
        with activate(books):
            Registration.objects.filter(status="delivered").update(net_amount=Decimal("2"))
        commit()
        assert freshness.version(books.pk) != before
    finally:
        freshness._request_finished()


def test_the_dashboards_counts_are_kept_until_a_write_commits(books, world_a, client_for):
    """The dashboard's accounts and contacts are counted over the whole company: kept with its
    other figures, and counted again once a write has committed."""
    client = client_for(world_a.admin)
    commit()
    before = client.get("/alpha/").context["counts"]
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/alpha/").context["counts"] == before
    assert not [q for q in queries if 'FROM "accounts_contact"' in q["sql"]]
    with activate(books):
        ContactFactory(account=AccountFactory(tenant=books, kind="individual"))
    commit()
    after = client.get("/alpha/").context["counts"]
    assert after["contacts"] == before["contacts"] + 1
    assert after["accounts"] == before["accounts"] + 1
    assert after["individuals"] == before["individuals"] + 1
