"""The report and the dashboard at scale (issue 18): work in progress from grouped queries
agrees with the row-by-row definition, the profitability page is paginated while its totals
and its CSV keep every row, query counts do not grow, and amounts format as Babel does."""

import csv
import datetime
import io
import random
from decimal import Decimal

from babel.numbers import format_currency
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from accounts.platform.tenancy import activate
from accounts.templatetags.money import money
from projects.billing import delivered_registrations
from projects.models import Item, Registration
from reporting.dashboard_selectors import dashboard
from reporting.selectors import facts, wip_value
from tests.factories import AccountFactory, EventFactory, ProjectFactory
from tests.reporting.conftest import registration

DAY = datetime.date(2026, 5, 12)


def test_work_in_progress_agrees_with_the_row_definition(books):
    """`facts` subtracts what issued lines invoice; `wip_value` is the row-by-row definition."""
    with activate(books):
        expected = {}
        for queryset, kind, units in (
            (Registration.objects.filter(delivered_registrations()), "registration", "places"),
            (Item.objects.filter(billable=True), "item", "quantity"),
        ):
            for project_id, value in (
                queryset.values_list("project").order_by().annotate(v=Sum(wip_value(kind, units)))
            ):
                expected[project_id] = expected.get(project_id, 0) + value
        by_project = facts(grain=("project",))
        by_month = facts(grain=("project", "month"))
        panel = dashboard(base_currency="EUR", today=DAY)
    assert expected and all(value for value in expected.values())
    for project_id, value in expected.items():
        assert by_project[(project_id, None, None, None)].wip == value
        monthly = sum(cell.wip for key, cell in by_month.items() if key[0] == project_id)
        assert monthly == value
    assert sum(value for _currency, value in panel["wip"]) == sum(expected.values())


def many_projects(world, count, start=0):
    account = AccountFactory(tenant=world.tenant)
    for n in range(start, start + count):
        project = ProjectFactory(account=account, code=f"PR-{n:03}", currency="EUR")
        event = EventFactory(project=project, start_date=DAY, end_date=DAY, status="delivered")
        registration(project, event, unit_price=Decimal("100"), net_amount=Decimal("100"))


def test_the_report_pages_its_rows_and_keeps_every_row_in_totals_and_csv(world_a, client_for):
    many_projects(world_a, 55)
    client = client_for(world_a.viewer)
    first = client.get("/alpha/reports/profitability/")
    second = client.get("/alpha/reports/profitability/", {"page": 2})
    assert len(first.context["rows"]) == 50 and len(second.context["rows"]) == 5
    labels = [row.label for row in first.context["rows"]] + [
        row.label for row in second.context["rows"]
    ]
    assert labels == sorted(labels) and len(set(labels)) == 55
    assert first.context["base"].wip == second.context["base"].wip == Decimal("5500")
    assert "page=2" in first.content.decode()
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get("/alpha/reports/profitability/", {"format": "csv"}).content.decode()
            )
        )
    )
    assert len(rows) == 55


def queries(client, path):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_the_report_and_the_dashboard_run_the_same_queries_for_few_or_many(world_a, client_for):
    client = client_for(world_a.viewer)
    many_projects(world_a, 3)
    few = (queries(client, "/alpha/reports/profitability/"), queries(client, "/alpha/"))
    many_projects(world_a, 30, start=3)
    many = (queries(client, "/alpha/reports/profitability/"), queries(client, "/alpha/"))
    # Report: 3 (session, user, the user's memberships with their companies) + 6 grouped
    # queries of facts + which projects recognise on invoice + the projects. Dashboard: 3 +
    # accounts' counts (2) + revenue (1) + work in progress (4 + currencies) + overdue (1) +
    # projects to watch (2) + recent accounts + aged receivables (1 grouped query).
    assert few == many == (11, 16)


def test_amounts_format_as_babel_does():
    generator = random.Random(18)
    for _ in range(3000):
        amount = Decimal(generator.randint(-(10**10), 10**10)).scaleb(-generator.randint(0, 4))
        currency = generator.choice(["EUR", "GBP", "USD", "JPY", "CHF", "KWD"])
        assert money(amount, currency) == format_currency(amount, currency, locale="en_GB")
    assert money(Decimal("-0"), "EUR") == format_currency(Decimal("-0"), "EUR", locale="en_GB")
    assert money(None, "EUR") == "—" and money("n/a", "EUR") == "n/a"
