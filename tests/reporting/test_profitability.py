"""Profitability figures checked against values computed by hand on a small fixture."""

import csv
import datetime
import io
from decimal import Decimal

from accounts.platform import permissions
from accounts.platform.models import Role
from accounts.platform.permissions import ROLE_PERMISSIONS
from accounts.platform.tenancy import activate
from reporting.selectors import profitability


def test_per_project_figures_match_the_hand_computation(books):
    with activate(books):
        rows, base = profitability("project", base_currency="EUR")
    by_code = {row.label.split()[0]: row for row in rows}
    euro, pound = by_code["PR-EUR"].figures, by_code["PR-GBP"].figures
    # EUR: invoiced 1,800 + 10 % fee 180 = 1,980, less the credited 900 = 1,080 (on invoice).
    assert (euro.places, euro.invoiced, euro.recognised) == (2, Decimal("1080"), Decimal("1080"))
    assert euro.wip == Decimal("900")  # the credited place is delivered and not invoiced again
    assert euro.cost == Decimal("1000")  # event 600 + 2 × 200
    assert euro.profit == Decimal("80")
    # GBP: the prepaid place is a zero-due line; revenue is recognised on delivery: 500 + 50.
    assert (pound.invoiced, pound.recognised, pound.wip) == (0, Decimal("550"), Decimal("50"))
    assert pound.cost == Decimal("410") and pound.profit == Decimal("140")
    assert by_code["PR-GBP"].currency == "GBP"
    # Base currency: GBP at 1.2 from the rate table; EUR invoices at their stored rate of 1.
    assert base.invoiced == Decimal("1080")
    assert base.recognised == Decimal("1080") + Decimal("660")
    assert base.cost == Decimal("1000") + Decimal("492")
    assert base.profit == Decimal("248")


def test_rolled_up_by_customer_currencies_stay_apart(books):
    with activate(books):
        rows, _ = profitability("account", base_currency="EUR")
    assert [(row.label, row.currency) for row in rows] == [
        ("Kestrel Aerospace", "EUR"),
        ("Kestrel Aerospace", "GBP"),
    ]


def test_by_month_and_a_date_window(books):
    with activate(books):
        rows, _ = profitability(
            "month",
            date_from=datetime.date(2026, 4, 1),
            date_to=datetime.date(2026, 4, 30),
            base_currency="EUR",
        )
    assert [(row.label, row.currency) for row in rows] == [("2026-04", "GBP")]
    assert rows[0].figures.recognised == Decimal("550")


def test_the_page_and_its_csv(books, client_for, world_a):
    client = client_for(world_a.viewer)
    page = client.get("/alpha/reports/profitability/", {"group": "account"})
    assert page.status_code == 200 and "Kestrel Aerospace" in page.content.decode()
    csv = client.get("/alpha/reports/profitability/", {"group": "project", "format": "csv"})
    assert csv["Content-Type"].startswith("text/csv") and b"PR-EUR" in csv.content


def test_the_csv_keeps_numbers_as_plain_numbers(books, client_for, world_a):
    """This month holds only the credit note: its revenue is -900, a number, not text."""
    response = client_for(world_a.viewer).get(
        "/alpha/reports/profitability/", {"group": "month", "format": "csv"}
    )
    table = list(csv.DictReader(io.StringIO(response.content.decode())))
    month = f"{datetime.date.today():%Y-%m}"
    this_month = next(row for row in table if row["Month"] == month and row["currency"] == "EUR")
    assert this_month["revenue_invoiced"] == "-900.00"
    for row in table:
        for column in ("revenue_invoiced", "revenue_recognised", "cost", "profit"):
            Decimal(row[column])  # plain digits: no apostrophe, no thousands separator


def test_a_role_without_see_money_loses_the_page_and_its_csv(
    books, client_for, world_a, monkeypatch
):
    monkeypatch.setitem(ROLE_PERMISSIONS, Role.VIEWER, frozenset({permissions.VIEW}))
    client = client_for(world_a.viewer)
    assert client.get("/alpha/reports/profitability/").status_code == 403
    csv_file = client.get("/alpha/reports/profitability/", {"format": "csv"})
    assert csv_file.status_code == 403
    query = {"dimensions": ["product"], "measures": ["invoiced"]}
    for file_format in ("", "csv", "xlsx"):
        response = client.get("/alpha/reports/custom/", {**query, "format": file_format})
        assert response.status_code == 403, file_format
    menu = client.get("/alpha/accounts/").content.decode()
    assert ">Profitability</a>" not in menu and ">Invoices</a>" not in menu


def test_another_tenant_sees_none_of_it(books, client_for, world_b):
    page = client_for(world_b.viewer).get("/bravo/reports/profitability/")
    assert "Kestrel" not in page.content.decode()


def test_the_dashboard_figures(books):
    from reporting.dashboard_selectors import dashboard

    with activate(books):
        credit_day = datetime.date.today()
        figures = dashboard(base_currency="EUR", today=credit_day)
        # This month holds only the credit note of −900 (EUR, rate 1).
        assert figures["revenue"] == Decimal("-900")
        assert dict(figures["wip"]) == {"EUR": Decimal("900"), "GBP": Decimal("50")}
        # Both invoices are past their due dates by now; the GBP one has nothing to pay (its
        # place was paid from the prepurchase agreement: gross 0), so only the EUR one is
        # overdue, for what its credit note left outstanding.
        assert figures["overdue_count"] == 1
        from invoicing.models import Invoice

        euro = Invoice.objects.get(kind="invoice", currency="EUR")
        note = Invoice.objects.get(kind="credit_note")
        assert figures["overdue_by_currency"] == [("EUR", euro.gross_total + note.gross_total)]


def test_projects_nearing_their_end_or_billing_cap_are_listed(books):
    from projects.models import Project
    from reporting.dashboard_selectors import dashboard

    today = datetime.date(2026, 5, 1)
    with activate(books):
        Project.objects.filter(code="PR-GBP").update(end_date=today + datetime.timedelta(days=10))
        Project.objects.filter(code="PR-EUR").update(max_billing_amount=Decimal("1200"))
        figures = dashboard(base_currency="EUR", today=today)
    assert [p.code for p in figures["ending"]] == ["PR-GBP"]
    assert [p.code for p in figures["near_cap"]] == ["PR-EUR"]  # 1,080 billed of 1,200


def test_the_dashboard_page_shows_the_panel(books, client_for, world_a):
    page = client_for(world_a.viewer).get("/alpha/")
    body = page.content.decode()
    assert 'data-figure="overdue"' in body and "Delivered, not yet invoiced" in body
