"""The pages of payments (issue 16, part 1): the invoice's payments panel and its Record
payment form, the account's balance and its Allocate action, a payment's page and its
reversal (asked once), and the invoice list's state column and filter at a constant query
count. Finance and admins write; viewers see."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from invoicing import services
from invoicing.models import Allocation, ExchangeRate, Grouping, Payment, PaymentReversal
from reporting.dashboard_selectors import dashboard
from tests.invoicing.test_payments import issue, pay

D = Decimal
LONG_AGO = datetime.date(2026, 3, 10)


def invoice_url(invoice):
    return f"/alpha/invoices/{invoice.pk}/"


def record_url(billing):
    return f"/alpha/payments/record/{billing['account'].pk}/"


def allocate_url(billing):
    return f"/alpha/payments/allocate/{billing['account'].pk}/"


def tab_url(billing):
    return f"/alpha/accounts/{billing['account'].pk}/invoices/"


def form_data(invoice, **more):
    data = {
        "date": timezone.localdate().isoformat(),
        "amount": "400",
        "currency": invoice.currency,
        "method": "card",
        "reference": "Card 4417",
        "note": "",
        "exchange_rate": "",
        "invoices": [invoice.pk],
    }
    data.update(more)
    return data


def test_the_invoice_page_records_a_payment_prefilled_with_what_is_outstanding(
    act, billing, client_for
):
    invoice = issue(act, billing)
    client = client_for(billing["world"].finance)
    page = client.get(invoice_url(invoice)).content.decode()
    assert 'data-state="open"' in page and "Record payment" in page
    assert f'action="{record_url(billing)}"' in page
    assert re.search(r'name="amount"[^>]*value="1080\.00"', page)
    assert 'data-total="outstanding">€1,080.00' in page

    response = client.post(record_url(billing), form_data(invoice))
    assert response.status_code == 302 and response["Location"] == invoice.get_absolute_url()
    page = client.get(invoice_url(invoice)).content.decode()
    assert 'data-state="partly_paid"' in page and "Partly paid" in page
    assert 'data-total="outstanding">€680.00' in page
    payment = Payment.objects.get()
    assert f'href="{payment.get_absolute_url()}">Payment #{payment.pk}' in page
    assert "Card 4417" in page and "Payment of 400.00 EUR recorded: 400.00 to INV-00001." in page
    assert "Payment allocated" in page  # in the invoice's history


def test_a_payment_form_with_errors_says_what_to_change(act, billing, client_for):
    invoice = issue(act, billing)
    client = client_for(billing["world"].finance)
    response = client.post(record_url(billing), form_data(invoice, amount="0"))
    assert response.status_code == 422
    assert "Ensure this value is greater than or equal to 0.001" in response.content.decode()
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = client.post(record_url(billing), form_data(invoice, date=tomorrow))
    assert response.status_code == 422
    assert "That day is in the future" in response.content.decode()
    response = client.post(record_url(billing), form_data(invoice, currency="USD"))
    assert "INV-00001 is in EUR: a USD payment pays USD invoices only." in (
        response.content.decode()
    )
    assert not Payment.objects.exists()


@pytest.mark.parametrize("role", ["staff", "viewer"])
def test_only_finance_and_admins_record_payments_viewers_see_them(act, billing, client_for, role):
    invoice = issue(act, billing)
    payment = pay(act, billing, "400", [invoice])
    client = client_for(billing["world"].user(role))
    page = client.get(invoice_url(invoice)).content.decode()
    assert f"Payment #{payment.pk}" in page and "Partly paid" in page
    assert 'name="amount"' not in page
    assert client.get(payment.get_absolute_url()).status_code == 200
    for url in (
        record_url(billing),
        allocate_url(billing),
        f"/alpha/payments/{payment.pk}/reverse/",
    ):
        assert client.get(url).status_code == 403
        assert client.post(url, {"reason": "x"}).status_code == 403
    assert client.post(record_url(billing), form_data(invoice)).status_code == 403
    assert Payment.objects.count() == 1 and not PaymentReversal.objects.exists()


def test_one_payment_for_several_invoices_from_the_account_page(act, billing, client_for):
    first, second = issue(act, billing, 2, grouping=Grouping.REGISTRATION)
    client = client_for(billing["world"].finance)
    form = client.get(record_url(billing)).content.decode()
    assert "INV-00001 · due" in form and "1,080.00 EUR outstanding" in form
    response = client.post(
        record_url(billing),
        form_data(first, amount="2500", invoices=[second.pk, first.pk], method="bank_transfer"),
        follow=True,
    )
    payment = Payment.objects.get()
    assert response.redirect_chain[-1][0] == payment.get_absolute_url()
    body = response.content.decode()
    assert (
        "Payment of 2,500.00 EUR recorded: 1,080.00 to INV-00001, 1,080.00 to INV-00002; "
        "340.00 EUR left on the account."
    ) in body
    assert re.search(r'data-figure="unallocated">\s*€340\.00', body)


def test_the_account_tab_shows_the_balance_and_payments_at_a_constant_query_count(
    act, billing, client_for
):
    first, second, third = issue(act, billing, 3, grouping=Grouping.REGISTRATION)
    finance, viewer = client_for(billing["world"].finance), client_for(billing["world"].viewer)
    pay(act, billing, "1500", [first])

    def count():
        with CaptureQueriesContext(connection) as captured:
            body = finance.get(tab_url(billing)).content.decode()
        return len(captured), body

    few, body = count()
    assert 'data-figure="unallocated-payments">€420.00' in body
    assert 'data-figure="balance">€1,740.00' in body  # 2,160 outstanding less 420 paid ahead
    assert "Record payment" in body and ">Allocate</a>" in body
    for invoice in (second, third):
        pay(act, billing, "10", [invoice], reference="Small")
    note = act(services.invoice_credit, invoice=third, reason="Goodwill")
    many, body = count()
    assert many == few
    assert 'data-figure="unallocated-credits">€10.00' in body  # 1,080 credited, 1,070 owed
    assert note.number in body
    viewer_body = viewer.get(tab_url(billing)).content.decode()
    assert 'data-figure="balance"' in viewer_body and "Record payment" not in viewer_body


def test_allocate_shows_what_will_happen_then_allocates(act, billing, client_for):
    first, second = issue(act, billing, 2, grouping=Grouping.REGISTRATION)
    payment = pay(act, billing, "1500", [first])
    client = client_for(billing["world"].finance)
    page = client.get(allocate_url(billing), {"payment": payment.pk}).content.decode()
    assert f"Payment #{payment.pk} of" in page and "420.00 EUR left" in page
    data = {"source": f"payment-{payment.pk}", "invoice": second.pk, "amount": ""}
    plan = client.post(allocate_url(billing), data)
    body = plan.content.decode()
    assert plan.status_code == 200 and "Please confirm" in body
    assert "Allocate <strong>€420.00</strong>" in body
    assert "INV-00002 then has €660.00 outstanding" in body
    assert not Allocation.objects.filter(invoice=second).exists()  # nothing before confirming
    done = client.post(allocate_url(billing), {**data, "amount": "420.00", "confirm": "True"})
    assert done.status_code == 302 and done["Location"] == second.get_absolute_url()
    assert Allocation.objects.get(invoice=second).amount == 420
    refused = client.post(allocate_url(billing), {**data, "confirm": "True"})
    assert refused.status_code == 422  # nothing left: no longer a choice
    assert "has no payment or credit left to allocate" in refused.content.decode()
    assert Allocation.objects.filter(invoice=second).count() == 1


def test_a_credit_note_page_shows_its_allocation_and_allocates_what_is_left(
    act, billing, client_for
):
    credited, other = issue(act, billing, 2, grouping=Grouping.REGISTRATION)
    pay(act, billing, "1000", [credited])
    note = act(services.invoice_credit, invoice=credited, reason="Course cancelled")
    client = client_for(billing["world"].finance)
    page = client.get(invoice_url(note)).content.decode()
    assert f'href="{credited.get_absolute_url()}">{credited.number}</a>' in page  # 80 allocated
    assert 'data-total="credit-left">€1,000.00' in page
    assert f"?credit_note={note.pk}" in page and "Allocate to another invoice" in page
    done = client.post(
        allocate_url(billing),
        {"source": f"credit-{note.pk}", "invoice": other.pk, "amount": "", "confirm": "True"},
    )
    assert done.status_code == 302
    assert Allocation.objects.get(invoice=other, credit_note=note).amount == 1000
    page = client.get(invoice_url(other)).content.decode()
    assert f"Credit note {note.number}" in page and "Partly paid" in page


def test_a_reversal_asks_once_then_restores_the_invoice(act, billing, client_for):
    invoice = issue(act, billing)
    payment = pay(act, billing, "1080", [invoice], reference="Cheque 17")
    client = client_for(billing["world"].finance)
    reverse_url = f"/alpha/payments/{payment.pk}/reverse/"
    assert "Reverse…" in client.get(payment.get_absolute_url()).content.decode()
    ask = client.get(reverse_url).content.decode()
    assert "Reverse the payment of <strong>€1,080.00</strong>?" in ask
    assert "€1,080.00 is outstanding again on INV-00001" in ask
    assert not PaymentReversal.objects.exists()
    assert client.post(reverse_url, {"reason": ""}).status_code == 422
    done = client.post(reverse_url, {"reason": "Cheque returned unpaid"}, follow=True)
    body = done.content.decode()
    assert done.redirect_chain[-1][0] == payment.get_absolute_url()
    assert 'data-state="reversed"' in body and "Cheque returned unpaid" in body
    assert "Reverse…" not in body
    again = client.post(reverse_url, {"reason": "Twice"})
    assert again.status_code == 422
    assert "This payment was reversed on" in again.content.decode()
    assert PaymentReversal.objects.count() == 1
    page = client.get(invoice_url(invoice)).content.decode()
    assert 'data-state="open"' in page and "data-reversed" in page
    assert 'data-total="outstanding">€1,080.00' in page


def test_a_foreign_currency_payment_page_shows_its_exchange_gain(act, billing, client_for):
    billing["tenant"].base_currency = "GBP"
    billing["tenant"].save()
    ExchangeRate.objects.create(
        tenant=billing["tenant"], currency="EUR", date=datetime.date(2026, 3, 20), rate=D("0.86")
    )
    invoice = issue(act, billing, on_date=datetime.date(2026, 3, 21))
    payment = pay(
        act, billing, "1080", [invoice], date=datetime.date(2026, 3, 25), exchange_rate=D("0.88")
    )
    page = client_for(billing["world"].viewer).get(payment.get_absolute_url()).content.decode()
    assert "0.88 GBP" in page and "Exchange gain (loss)" in page
    assert re.search(r'data-total="exchange-difference">\s*£21\.60', page)


# --- The invoice list ---------------------------------------------------------------------------


def list_rows(response):
    return {
        row.record.number: (row.record.state, row.record.outstanding)
        for row in response.context["table"].page.object_list
    }


def test_the_invoice_list_shows_and_filters_the_state_at_a_constant_query_count(
    act, billing, client_for
):
    client = client_for(billing["world"].viewer)
    first, second, third, fourth = issue(act, billing, 4, grouping=Grouping.REGISTRATION)

    def fetch(**params):
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/alpha/invoices/", params)
        assert response.status_code == 200
        return response, len(captured)

    _, few = fetch()
    pay(act, billing, "1080", [first])
    pay(act, billing, "500", [second, third])
    payment = pay(act, billing, "100", [third])
    act(services.payment_reverse, payment=payment, reason="Bounced")
    act(services.invoice_credit, invoice=fourth, reason="Cancelled")
    response, many = fetch()
    assert many == few == 5  # session, user, the user's memberships, one COUNT, the page
    assert list_rows(response) == {
        "INV-00001": ("paid", 0),
        "INV-00002": ("partly_paid", 580),
        "INV-00003": ("open", 1080),
        "INV-00004": ("cancelled", 0),
        "CN-00001": ("issued", 0),
    }
    body = response.content.decode()
    assert "Partly paid" in body and "€580.00" in body
    paid, count = fetch(status="paid")
    assert list(list_rows(paid)) == ["INV-00001"] and count == 5
    assert list(list_rows(fetch(status="partly_paid")[0])) == ["INV-00002"]
    assert list(list_rows(fetch(status="open")[0])) == ["INV-00003"]
    # "Issued": every issued document, whatever its payment state (not drafts nor cancelled).
    issued = list(list_rows(fetch(status="issued")[0]))
    assert sorted(issued) == ["CN-00001", "INV-00001", "INV-00002", "INV-00003"]
    by_state = client.get("/alpha/invoices/", {"sort": "status"})
    assert by_state.status_code == 200
    exported = client.get("/alpha/invoices/", {"export": "csv", "status": "partly_paid"})
    lines = exported.content.decode().splitlines()
    assert "status" in lines[0] and "outstanding" in lines[0]
    assert len(lines) == 2 and "partly_paid" in lines[1] and "580.00" in lines[1]


def test_overdue_counts_what_is_outstanding_in_the_list_and_the_dashboard(act, billing, client_for):
    late, paid_late = issue(act, billing, 2, grouping=Grouping.REGISTRATION, on_date=LONG_AGO)
    pay(act, billing, "80", [late], date=LONG_AGO)
    pay(act, billing, "1080", [paid_late], date=LONG_AGO)
    response = client_for(billing["world"].viewer).get("/alpha/invoices/", {"overdue": "true"})
    assert list_rows(response) == {late.number: ("overdue", 1000)}
    figures = dashboard(base_currency="EUR")
    assert figures["overdue_count"] == 1
    assert figures["overdue_by_currency"] == [("EUR", 1000)]
