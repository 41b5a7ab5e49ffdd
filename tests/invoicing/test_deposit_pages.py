"""The pages of deposits: the Deposits panel of the project's invoices tab, *Invoice a deposit*
(amount or percentage, what it will create, asked once), the invoice page's deposit lines, and
the PDF and e-invoices of a deposit and of an invoice deducting it."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from invoicing import services
from invoicing.models import Invoice, LineKind
from tests.invoicing.test_einvoices import assert_valid, fill_in_company


def deposit_url(billing):
    return f"/alpha/invoices/deposit/{billing['project'].pk}/"


def tab_url(billing):
    return f"/alpha/projects/{billing['project'].pk}/invoices/"


def issue_deposit(act, billing, amount):
    draft = act(services.deposit_create, project=billing["project"], amount=amount)
    return act(services.invoice_issue, invoice=draft, render_pdf=False)


def test_invoicing_a_deposit_shows_what_it_creates_and_asks_once(billing, client_for):
    client = client_for(billing["world"].finance)
    page = client.get(deposit_url(billing))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Committed value" in body and "€3,790.00" in body  # 4 places x 900 + 190
    assert "ordered places (requested, confirmed or delivered) and billable items" in body
    preview = client.post(deposit_url(billing), {"percent": "30"})
    body = preview.content.decode()
    assert preview.status_code == 200 and not Invoice.objects.exists()
    assert "Please confirm" in body and "draft deposit invoice" in body
    assert "Deposit of 30 % of the committed value" in body
    assert "€1,137.00" in body and "€227.40" in body and "€1,364.40" in body
    created = client.post(deposit_url(billing), {"percent": "30", "confirm": "True"})
    invoice = Invoice.objects.get()
    assert created.status_code == 302 and created["Location"] == invoice.get_absolute_url()
    assert invoice.is_draft and invoice.gross_total == Decimal("1364.40")
    detail = client.get(created["Location"]).content.decode()
    assert "Draft deposit invoice of 1,364.40 EUR created" in detail
    assert 'name="quantity"' not in detail  # a deposit is not adjusted on its draft


def test_a_deposit_form_says_what_to_change(billing, client_for):
    client = client_for(billing["world"].finance)
    for data, message in (
        ({}, "Enter either an amount or a percentage"),
        ({"amount": "100", "percent": "5"}, "Enter either an amount or a percentage"),
        ({"percent": "150"}, "100"),
        ({"amount": "abc"}, "Enter a number"),
    ):
        response = client.post(deposit_url(billing), data)
        assert response.status_code == 422, data
        assert message in response.content.decode(), data
    project = billing["project"]
    project.max_billing_amount = Decimal("500")
    project.save()
    refused = client.post(deposit_url(billing), {"amount": "600", "confirm": "True"})
    assert refused.status_code == 422
    assert "a deposit may come to at most 500.00" in refused.content.decode()
    assert not Invoice.objects.exists()


@pytest.mark.parametrize("role", ["staff", "viewer"])
def test_only_finance_and_admins_invoice_deposits(billing, client_for, role):
    client = client_for(billing["world"].user(role))
    assert client.get(deposit_url(billing)).status_code == 403
    refused = client.post(deposit_url(billing), {"amount": "100", "confirm": "True"})
    assert refused.status_code == 403
    assert not Invoice.objects.exists()


def test_another_companys_project_is_not_found(billing, client_for, world_b):
    client = client_for(world_b.finance)
    assert client.get(f"/bravo/invoices/deposit/{billing['project'].pk}/").status_code == 404
    response = client.post(
        f"/bravo/invoices/deposit/{billing['project'].pk}/", {"amount": "100", "confirm": "True"}
    )
    assert response.status_code == 404 and not Invoice.objects.exists()


def test_the_invoices_tab_shows_received_used_and_left(act, billing, client_for):
    deposit = issue_deposit(act, billing, "1000")
    (used_on,) = act(
        services.drafts_create,
        project=billing["project"],
        registration_ids=[billing["registrations"][0].pk],
    )
    act(services.deposit_create, project=billing["project"], amount="250")  # still a draft
    response = client_for(billing["world"].viewer).get(tab_url(billing))
    body = response.content.decode()
    assert response.context["deposit_received"] == 1000
    assert response.context["deposit_used"] == 900
    assert response.context["deposit_left"] == 100
    assert response.context["deposit_on_drafts"] == 250
    assert "Received" in body and "€1,000.00" in body and "€900.00" in body and "€100.00" in body
    assert f"Invoice {deposit.number} of {deposit.issue_date:%d %b %Y}" in body
    assert f"draft #{used_on.pk}" in body
    assert response.context["invoiced"] == 0  # neither the deposit nor the draft is invoiced
    assert "Invoice a deposit" not in body  # a viewer only reads
    finance = client_for(billing["world"].finance).get(tab_url(billing)).content.decode()
    assert "Invoice a deposit" in finance and deposit_url(billing) in finance


def test_the_tab_takes_as_many_queries_for_many_deposits_as_for_one(act, billing, client_for):
    def queries():
        client = client_for(billing["world"].viewer)
        client.get(tab_url(billing))  # the session and the middleware's first reads
        with CaptureQueriesContext(connection) as captured:
            assert client.get(tab_url(billing)).status_code == 200
        return len(captured.captured_queries)

    issue_deposit(act, billing, "100")
    act(
        services.drafts_create,
        project=billing["project"],
        registration_ids=[billing["registrations"][0].pk],
    )
    one = queries()
    for _ in range(3):
        issue_deposit(act, billing, "100")
    act(
        services.drafts_create,
        project=billing["project"],
        registration_ids=[billing["registrations"][1].pk],
    )
    assert queries() == one


def test_the_invoice_page_links_a_deduction_to_its_deposit(act, billing, client_for):
    deposit = issue_deposit(act, billing, "1000")
    (invoice,) = act(
        services.drafts_create,
        project=billing["project"],
        registration_ids=[billing["registrations"][0].pk],
    )
    body = client_for(billing["world"].finance).get(invoice.get_absolute_url()).content.decode()
    assert f"Deposit deducted: invoice {deposit.number}" in body
    assert f'Paid ahead on <a href="{deposit.get_absolute_url()}">' in body
    assert body.count('name="quantity"') == 1  # the place's line only


def test_a_deposit_and_an_invoice_deducting_it_are_valid_e_invoices(act, billing):
    fill_in_company(billing["tenant"])
    billing["account"].tax_id = "GB123456782"
    billing["account"].invoice_email = "payables@meridian.example"
    billing["account"].save()
    deposit = issue_deposit(act, billing, "1000")
    assert_valid(Invoice.objects.select_related("tenant").get(pk=deposit.pk))
    (invoice,) = act(
        services.drafts_create,
        project=billing["project"],
        registration_ids=[r.pk for r in billing["registrations"][:2]],
        item_ids=[billing["item"].pk],
    )
    invoice = act(services.invoice_issue, invoice=invoice, render_pdf=False)
    assert invoice.lines.filter(kind=LineKind.DEPOSIT_DEDUCTION).get().net == -1000
    ubl, _cii = assert_valid(Invoice.objects.select_related("tenant").get(pk=invoice.pk))
    names = ubl.xpath(
        "cac:InvoiceLine/cac:Item/cbc:Name/text()",
        namespaces={
            "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
            "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
        },
    )
    assert "Deposit deducted" in names
    # A credit note of the deduction alone (the deposit is unused again) is valid too.
    note = act(
        services.invoice_credit,
        invoice=invoice,
        line_ids=[invoice.lines.get(kind=LineKind.DEPOSIT_DEDUCTION).pk],
        reason="Deposit kept for the next cohort",
    )
    assert_valid(Invoice.objects.select_related("credits", "tenant").get(pk=note.pk))


def test_the_pdf_prints_the_deposit_and_the_deduction_under_their_own_titles(act, billing):
    from invoicing.pdf import invoice_html

    deposit = issue_deposit(act, billing, "1000")
    html = invoice_html(deposit)
    assert "Deposit</td>" in html and "Items and fees" not in html
    (invoice,) = act(
        services.drafts_create,
        project=billing["project"],
        registration_ids=[billing["registrations"][0].pk],
    )
    invoice = act(services.invoice_issue, invoice=invoice, render_pdf=False)
    html = invoice_html(invoice)
    assert "Deposits deducted" in html and f"Deposit deducted: invoice {deposit.number}" in html
    assert "-900.00" in html or "−900.00" in html
