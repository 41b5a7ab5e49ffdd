"""Aged receivables (issue 16, part 2): what billing accounts owe on a day, bucketed by days
past due (current, 1-30, 31-60, 61-90, over 90), per account and currency, with totals per
currency and in the base currency at the invoices' stored rates; the page with its chart, its
export, and the dashboard panel."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.platform.tenancy import activate
from invoicing.models import Invoice
from invoicing.services import payment_record
from reporting.aged import AgedReceivablesExporter, aged_receivables, stacked_chart
from tests.factories import AccountFactory, ProjectFactory

D = Decimal
AS_OF = datetime.date(2026, 6, 30)
DAYS_AND_BUCKETS = [
    (0, "current"),
    (1, "d30"),
    (30, "d30"),
    (31, "d60"),
    (60, "d60"),
    (61, "d90"),
    (90, "d90"),
    (91, "older"),
]


def invoice(tenant, account, number, gross, due, *, currency="EUR", rate=None, issued=None):
    project = ProjectFactory(account=account, currency=currency)
    return Invoice.objects.create(
        tenant=tenant,
        project=project,
        billing_account=account,
        currency=currency,
        exchange_rate=rate,
        status="issued",
        number=f"INV-{number:05d}",
        sequence_number=number,
        issue_date=issued or due - datetime.timedelta(days=30),
        due_date=due,
        gross_total=D(gross),
    )


@pytest.fixture
def ledger(world_a):
    """Invoices of Meridian due 0, 1, 30, 31, 60, 61, 90 and 91 days before AS_OF (100 + days
    each), and one of Harbour in USD at a stored rate of 0.8."""
    tenant = world_a.tenant
    meridian = AccountFactory(tenant=tenant, name="Meridian Health")
    harbour = AccountFactory(tenant=tenant, name="Harbour Clinics")
    for number, (days, _bucket) in enumerate(DAYS_AND_BUCKETS, start=1):
        invoice(tenant, meridian, number, 100 + days, AS_OF - datetime.timedelta(days=days))
    dollars = invoice(
        tenant, harbour, 50, "1000", AS_OF - datetime.timedelta(days=45), currency="USD", rate="0.8"
    )
    return {
        "tenant": tenant,
        "world": world_a,
        "meridian": meridian,
        "harbour": harbour,
        "usd": dollars,
    }


def test_each_invoice_falls_in_its_bucket_at_the_boundaries(ledger):
    with activate(ledger["tenant"]):
        report = aged_receivables(as_of=AS_OF, base_currency="EUR")
    meridian = next(row for row in report.rows if row.account_name == "Meridian Health")
    expected = {"current": 0, "d30": 0, "d60": 0, "d90": 0, "older": 0}
    for days, bucket in DAYS_AND_BUCKETS:
        expected[bucket] += 100 + days
    assert meridian.buckets == {key: D(value) for key, value in expected.items()}
    assert expected == {"current": 100, "d30": 231, "d60": 291, "d90": 351, "older": 191}
    assert meridian.total == 1164


def test_totals_per_currency_and_in_the_base_currency_at_stored_rates(ledger):
    with activate(ledger["tenant"]):
        report = aged_receivables(as_of=AS_OF, base_currency="EUR")
    eur, usd = report.totals
    assert (eur.currency, eur.total, usd.currency, usd.total) == ("EUR", 1164, "USD", 1000)
    assert usd.buckets["d60"] == 1000 and usd.base["d60"] == 800  # 45 days, at 0.8
    assert report.base.buckets["d60"] == 291 + 800
    assert report.base.total == 1164 + 800
    # The largest debtor first, in the base currency.
    assert [row.account_name for row in report.rows] == ["Meridian Health", "Harbour Clinics"]


def test_payments_count_as_of_the_day_chosen(ledger):
    tenant, usd = ledger["tenant"], ledger["usd"]
    with activate(tenant):
        payment_record(
            tenant=tenant,
            by=ledger["world"].finance,
            billing_account=ledger["harbour"],
            amount=D("600"),
            currency="USD",
            exchange_rate=D("0.8"),
            date=AS_OF + datetime.timedelta(days=1),
            invoices=[usd],
        )
        before = aged_receivables(as_of=AS_OF, base_currency="EUR")
        after = aged_receivables(as_of=AS_OF + datetime.timedelta(days=1), base_currency="EUR")
    assert before.totals[1].buckets["d60"] == 1000  # the payment came the day after
    assert after.totals[1].buckets["d60"] == 400


def test_nothing_outstanding_is_an_empty_report(world_a):
    with activate(world_a.tenant):
        report = aged_receivables(as_of=AS_OF, base_currency="EUR")
    assert report.rows == [] and report.base.total == 0
    assert stacked_chart(report)["bars"] == []


def test_the_chart_stacks_one_segment_per_bucket_in_the_base_currency(ledger):
    with activate(ledger["tenant"]):
        chart = stacked_chart(aged_receivables(as_of=AS_OF, base_currency="EUR"))
    meridian, harbour = chart["bars"]
    assert meridian["label"] == "Meridian Health" and len(meridian["segments"]) == 5
    assert sum(segment["width"] for segment in meridian["segments"]) == pytest.approx(460, abs=1)
    assert [segment["title"] for segment in harbour["segments"]] == ["31–60 days: 800"]
    assert next(item["label"] for item in chart["legend"]) == "Current"


def test_the_export_has_a_row_per_account_and_currency_and_the_totals(ledger):
    with activate(ledger["tenant"]):
        report = aged_receivables(as_of=AS_OF, base_currency="EUR")
    lines = AgedReceivablesExporter(report).csv().decode().splitlines()
    assert lines[0] == (
        "as_of,account_number,account,currency,Current,1–30 days,31–60 days,61–90 days,"
        "Over 90 days,total,base_currency,total_in_base_currency"
    )
    meridian = ledger["meridian"].number
    assert lines[1] == (
        f"2026-06-30,{meridian},Meridian Health,EUR,100.00,231.00,291.00,351.00,191.00,"
        "1164.00,EUR,1164.00"
    )
    assert lines[-1] == (
        "2026-06-30,,Total in base currency,EUR,100.00,231.00,1091.00,351.00,191.00,"
        "1964.00,EUR,1964.00"
    )
    assert len(lines) == 1 + 2 + 2 + 1


# --- Pages --------------------------------------------------------------------------------------


def queries(client, path):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
        assert response.status_code == 200
    return len(captured), response


def test_the_report_page_shows_the_buckets_chart_and_exports(ledger, client_for):
    client = client_for(ledger["world"].viewer)
    _count, response = queries(client, "/alpha/reports/aged-receivables/?as_of=2026-06-30")
    page = response.content.decode()
    assert "Meridian Health" in page and "<svg" in page and "Over 90 days" in page
    assert "€1,964.00" in page  # all, in the base currency
    csv = client.get("/alpha/reports/aged-receivables/?as_of=2026-06-30&export=csv")
    assert csv["Content-Type"].startswith("text/csv") and b"Meridian Health" in csv.content
    xlsx = client.get("/alpha/reports/aged-receivables/?as_of=2026-06-30&export=xlsx")
    assert xlsx.content.startswith(b"PK")
    # A malformed day is today's report, never an error.
    assert client.get("/alpha/reports/aged-receivables/?as_of=31.06.").status_code == 200


def test_the_report_page_runs_the_same_queries_for_few_or_many_accounts(ledger, client_for):
    client = client_for(ledger["world"].finance)
    path = "/alpha/reports/aged-receivables/?as_of=2026-06-30"
    few, _ = queries(client, path)
    for number in range(60, 80):
        account = AccountFactory(tenant=ledger["tenant"], name=f"Customer {number}")
        invoice(ledger["tenant"], account, number, "50", AS_OF - datetime.timedelta(days=number))
    many, _ = queries(client, path)
    # Session, user, the user's memberships with their companies, and ONE grouped query for
    # the buckets.
    assert few == many == 4


def test_the_dashboard_shows_the_buckets_and_links_to_the_report(ledger, client_for):
    client = client_for(ledger["world"].finance)
    today = timezone.localdate()
    with activate(ledger["tenant"]):
        expected = aged_receivables(as_of=today, base_currency="EUR").base.total
    page = client.get("/alpha/").content.decode()
    assert 'data-panel="aged-receivables"' in page
    assert "/alpha/reports/aged-receivables/" in page
    assert f"€{expected:,.2f}" in page


def test_the_report_shows_fifty_accounts_a_page_with_the_totals_of_all(ledger, client_for):
    """A large company owed on a thousand accounts: the page lists 50, largest first, and every
    page keeps the totals of all of them (issue 18); the export still has every row."""
    tenant = ledger["tenant"]
    for number in range(100, 160):
        account = AccountFactory(tenant=tenant, name=f"Customer {number}")
        invoice(tenant, account, number, "10", AS_OF)
    client = client_for(ledger["world"].finance)
    path = f"/alpha/reports/aged-receivables/?as_of={AS_OF:%Y-%m-%d}"
    first = client.get(path).content.decode()
    second = client.get(path + "&page=2").content.decode()
    assert first.count("<tr data-account=") == 50
    assert second.count("<tr data-account=") == 62 - 50  # Meridian, Harbour and 60 customers
    assert f'data-account="{ledger["meridian"].pk}"' in first  # the largest, on page 1
    assert "Rows 1–50 of 62" in first and "Rows 51–62 of 62" in second
    for body in (first, second):
        assert '<tr class="table-light" data-total="EUR">' in body
    export = client.get(path + "&export=csv").content.decode()
    assert export.count("Customer 1") == 60
