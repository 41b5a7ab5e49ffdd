"""Account statements (issue 16, part 2): opening balance, the period's invoices, credit notes,
payments and reversals with a running balance, the closing balance and what is overdue at the
end, one statement per currency; its page, PDF, CSV and XLSX.

The `billing` fixture's places are 1,080 gross each (900 net, 20 % VAT); an invoice issued on a
day is due 30 days later.
"""

import datetime
from decimal import Decimal

from django.utils import timezone

from invoicing import services
from invoicing.models import Grouping
from invoicing.statements import StatementExporter, account_statements, closing_balances
from projects.models import Registration, RegistrationStatus
from tests.factories import EventFactory, ProjectFactory
from tests.invoicing.test_payments import issue, pay, pounds_base  # noqa: F401 (a fixture)

D = Decimal
START = datetime.date(2026, 3, 20)


def statement_of(billing, date_from=START, date_to=None):
    date_to = date_to or timezone.localdate()
    (statement,) = account_statements(billing["account"], date_from=date_from, date_to=date_to)
    return statement


def rows(statement):
    return [(row.date, row.kind, row.amount, row.balance) for row in statement.rows]


def test_opening_running_and_closing_balance_with_part_payments_credits_and_reversals(act, billing):
    today = timezone.localdate()
    a = issue(act, billing, on_date=datetime.date(2026, 3, 10))
    pay(act, billing, "400", [a], date=datetime.date(2026, 3, 15))  # before the period
    b = issue(act, billing, first=1, on_date=datetime.date(2026, 3, 21))
    c = issue(act, billing, first=2, on_date=datetime.date(2026, 3, 25))
    pay(act, billing, "680", [a], date=datetime.date(2026, 4, 1))  # the rest of A
    bounced = pay(act, billing, "500", [b], date=datetime.date(2026, 4, 5))
    act(services.payment_reverse, payment=bounced, reason="Cheque bounced")  # today
    act(services.invoice_credit, invoice=c, reason="Course cancelled")  # today

    statement = statement_of(billing)
    assert statement.currency == "EUR"
    assert statement.opening == 680  # A's 1,080 less the 400 paid before the period
    assert rows(statement) == [
        (datetime.date(2026, 3, 21), "Invoice", 1080, 1760),
        (datetime.date(2026, 3, 25), "Invoice", 1080, 2840),
        (datetime.date(2026, 4, 1), "Payment", -680, 2160),
        (datetime.date(2026, 4, 5), "Payment", -500, 1660),
        (today, "Credit note", -1080, 580),
        (today, "Payment reversed", 500, 1080),
    ]
    assert statement.closing == 1080
    # The same figure the account's balance gives for that day, and what is overdue then: B.
    assert closing_balances(billing["account"], as_of=today) == {"EUR": D("1080")}
    assert [invoice.pk for invoice in statement.overdue_invoices] == [b.pk]
    assert statement.overdue == 1080

    # Before the reversal and the credit note: B was part-paid, nothing overdue yet on 5 Apr.
    earlier = statement_of(billing, date_to=datetime.date(2026, 4, 5))
    assert earlier.closing == 1660
    assert closing_balances(billing["account"], as_of=datetime.date(2026, 4, 5)) == {
        "EUR": D("1660")
    }
    assert earlier.overdue_invoices == []


def test_an_over_payment_and_credit_allocated_elsewhere_keep_the_balance(act, billing):
    first, second = issue(
        act, billing, 2, grouping=Grouping.REGISTRATION, on_date=datetime.date(2026, 3, 21)
    )
    pay(act, billing, "1500", [first], date=datetime.date(2026, 3, 25))  # 420 left on account
    note = act(services.invoice_credit, invoice=first, reason="Goodwill")  # paid: all credit
    act(services.credit_allocate, credit_note=note, invoice=second, amount=D("660"))
    statement = statement_of(billing)
    assert statement.opening == 0
    assert [row.amount for row in statement.rows] == [1080, 1080, -1500, -1080]
    # Allocating credit moves nothing between the account and the company: the balance is
    # 2,160 invoiced less 1,500 paid less 1,080 credited, as the account balance says.
    assert statement.closing == D("-420")
    assert closing_balances(billing["account"], as_of=timezone.localdate()) == {"EUR": D("-420")}


def _gbp_invoice(act, billing, on_date):
    """An invoice of the same billing account from a project invoiced in GBP."""
    tenant = billing["tenant"]
    project = ProjectFactory(account=billing["account"], currency="GBP")
    event = EventFactory(project=project, product=billing["events"][0].product)
    row = Registration.objects.create(
        tenant=tenant,
        project=project,
        event=event,
        requested_date=datetime.date(2026, 2, 1),
        status=RegistrationStatus.DELIVERED,
        unit_price=D("500"),
        net_amount=D("500"),
    )
    (draft,) = act(services.drafts_create, project=project, registration_ids=[row.pk])
    return act(services.invoice_issue, invoice=draft, on_date=on_date, render_pdf=False)


def test_a_foreign_currency_invoice_has_its_own_statement_in_its_currency(
    act,
    billing,
    pounds_base,  # noqa: F811
):
    euros = issue(act, billing, on_date=datetime.date(2026, 3, 21))
    assert euros.exchange_rate == D("0.86")  # the company books in GBP
    pounds = _gbp_invoice(act, billing, datetime.date(2026, 3, 22))
    pay(act, billing, "1080", [euros], date=datetime.date(2026, 4, 12))  # at 0.88: a gain
    eur, gbp = account_statements(
        billing["account"], date_from=START, date_to=datetime.date(2026, 4, 30)
    )
    assert (eur.currency, [row.amount for row in eur.rows], eur.closing) == (
        "EUR",
        [1080, -1080],
        0,
    )
    assert (gbp.currency, [row.amount for row in gbp.rows], gbp.closing) == (
        "GBP",
        [pounds.gross_total],
        pounds.gross_total,
    )
    assert gbp.overdue_invoices and gbp.overdue == pounds.gross_total  # due 21 Apr


def test_the_csv_has_the_opening_rows_with_the_running_balance_and_the_closing(act, billing):
    invoice = issue(act, billing, on_date=datetime.date(2026, 3, 21))
    pay(act, billing, "400", [invoice], date=datetime.date(2026, 4, 1), reference="=SUM(A1)")
    statements = account_statements(
        billing["account"], date_from=START, date_to=datetime.date(2026, 4, 30)
    )
    lines = StatementExporter(statements).csv().decode().splitlines()
    assert lines == [
        "date,type,reference,description,due_date,currency,debit,credit,balance",
        "2026-03-20,Opening balance,,,,EUR,,,0.00",
        f"2026-03-21,Invoice,{invoice.number},{invoice.project_code} · PO PO-A,2026-04-20,EUR,"
        "1080.00,,1080.00",
        "2026-04-01,Payment,'=SUM(A1),Bank transfer,,EUR,,400.00,680.00",
        "2026-04-30,Closing balance,,,,EUR,,,680.00",
    ]


# --- The page -----------------------------------------------------------------------------------


def _url(billing, query=""):
    tenant = billing["tenant"]
    return f"/{tenant.slug}/invoices/statement/{billing['account'].pk}/{query}"


def test_the_page_shows_the_statement_and_offers_its_files(act, billing, client_for):
    invoice = issue(act, billing, on_date=datetime.date(2026, 3, 21))
    pay(act, billing, "400", [invoice], date=datetime.date(2026, 4, 1))
    client = client_for(billing["world"].viewer)  # viewers read statements
    response = client.get(_url(billing, "?date_from=2026-03-01&date_to=2026-04-30"))
    assert response.status_code == 200
    page = response.content.decode()
    assert invoice.number in page and 'data-figure="closing"' in page
    assert "680.00" in page  # the closing balance
    pdf = client.get(_url(billing, "?date_from=2026-03-01&date_to=2026-04-30&format=pdf"))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    csv = client.get(_url(billing, "?date_from=2026-03-01&date_to=2026-04-30&format=csv"))
    assert b"Closing balance" in csv.content
    xlsx = client.get(_url(billing, "?date_from=2026-03-01&date_to=2026-04-30&format=xlsx"))
    assert xlsx.content.startswith(b"PK")
    refused = client.get(_url(billing, "?date_from=2026-05-01&date_to=2026-04-30"))
    assert refused.status_code == 422 and "swap the two days" in refused.content.decode()


def test_the_account_tab_links_to_the_statement(billing, client_for):
    client = client_for(billing["world"].finance)
    tenant = billing["tenant"]
    response = client.get(f"/{tenant.slug}/accounts/{billing['account'].pk}/invoices/")
    assert _url(billing) in response.content.decode()


def test_the_page_reads_a_constant_number_of_queries(
    act, billing, client_for, django_assert_max_num_queries
):
    client = client_for(billing["world"].finance)
    url = _url(billing, "?date_from=2026-03-01&date_to=2026-12-31")

    def count():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    few = count()
    for n in range(3):
        invoice = issue(act, billing, first=n, on_date=datetime.date(2026, 3, 10 + n))
        payment = pay(act, billing, "100", [invoice], date=datetime.date(2026, 4, 1 + n))
        act(services.payment_reverse, payment=payment, reason="Bounced")
    assert count() == few
    with django_assert_max_num_queries(few):
        client.get(url)
