import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from invoicing import services
from invoicing.models import Grouping, Invoice, InvoiceRun, RunStatus
from projects.models import Registration


def test_the_selection_review_explains_what_cannot_be_invoiced(billing, client_for):
    first, second = billing["registrations"][:2]
    Registration.objects.filter(pk=second.pk).update(status="requested")
    url = f"/alpha/invoices/from-project/{billing['project'].pk}/"
    client = client_for(billing["world"].finance)
    review = client.post(
        url, {"selected": [first.pk, second.pk], "selected_items": [billing["item"].pk]}
    )
    body = review.content.decode()
    assert review.status_code == 200
    assert "No: it is requested; LEAD-101&#x27;s places are invoiced on delivery" in body
    assert "Create drafts (2 rows)" in body
    created = client.post(
        url,
        {
            "selected": [first.pk],
            "selected_items": [billing["item"].pk],
            "grouping": Grouping.ALL,
            "create": "1",
        },
    )
    invoice = Invoice.objects.get()
    assert created.status_code == 302 and created["Location"] == invoice.get_absolute_url()
    assert invoice.lines.count() == 2


def test_staff_cannot_create_drafts(billing, client_for):
    url = f"/alpha/invoices/from-project/{billing['project'].pk}/"
    response = client_for(billing["world"].staff).post(
        url, {"selected": [billing["registrations"][0].pk]}
    )
    assert response.status_code == 403


def test_the_invoice_page_adjusts_issues_and_credits(act, billing, client_for):
    (draft,) = act(
        services.drafts_create,
        project=billing["project"],
        registration_ids=[r.pk for r in billing["registrations"]],
    )
    client = client_for(billing["world"].finance)
    page = client.get(f"/alpha/invoices/{draft.pk}/")
    assert "Adjust" in page.content.decode() and "Issue" in page.content.decode()
    line = draft.lines.first()
    client.post(
        f"/alpha/invoices/{draft.pk}/",
        {"action": "line", "line": line.pk, "quantity": "1", "unit_price": "500"},
    )
    client.post(f"/alpha/invoices/{draft.pk}/", {"action": "issue", "confirmed": "1"})
    draft.refresh_from_db()
    assert draft.number == "INV-00001" and draft.net_total == 3 * 900 + 450
    response = client.post(
        f"/alpha/invoices/{draft.pk}/",
        {"action": "credit", "lines": [line.pk], "reason": "Wrong price", "confirmed": "1"},
    )
    note = Invoice.objects.get(kind="credit_note")
    assert response["Location"] == note.get_absolute_url() and note.net_total == -450
    history = client.get(f"/alpha/invoices/{draft.pk}/").content.decode()
    for action in ("Draft created", "Draft line changed", "Issued", "Credited"):
        assert action in history


def test_an_error_is_shown_not_raised(act, billing, client_for):
    (draft,) = act(
        services.drafts_create,
        project=billing["project"],
        registration_ids=[billing["registrations"][0].pk],
    )
    client = client_for(billing["world"].finance)
    response = client.post(f"/alpha/invoices/{draft.pk}/", {"action": "credit"}, follow=True)
    assert "Say why the invoice is credited." in response.content.decode()


@pytest.mark.parametrize("tab", ["projects/{project}/invoices/", "accounts/{account}/invoices/"])
def test_the_project_and_account_tabs_list_invoices(act, billing, client_for, tab):
    (draft,) = act(
        services.drafts_create,
        project=billing["project"],
        registration_ids=[billing["registrations"][0].pk],
    )
    act(services.invoice_issue, invoice=draft)
    path = "/alpha/" + tab.format(project=billing["project"].pk, account=billing["account"].pk)
    assert "INV-00001" in client_for(billing["world"].viewer).get(path).content.decode()


def test_the_invoice_list_filters_overdue(act, billing, client_for):
    (draft,) = act(
        services.drafts_create,
        project=billing["project"],
        registration_ids=[billing["registrations"][0].pk],
    )
    act(services.invoice_issue, invoice=draft, on_date=datetime.date(2020, 1, 1))
    overdue = client_for(billing["world"].viewer).get("/alpha/invoices/", {"overdue": "true"})
    assert [r.record.number for r in overdue.context["table"].page.object_list] == ["INV-00001"]


def test_a_credit_note_shows_no_due_date_in_the_list(act, billing, client_for):
    """The customer pays no credit note: the list leaves its due date empty."""
    (draft,) = act(
        services.drafts_create,
        project=billing["project"],
        registration_ids=[billing["registrations"][0].pk],
    )
    issued = act(services.invoice_issue, invoice=draft, on_date=datetime.date(2026, 3, 2))
    note = act(services.invoice_credit, invoice=issued, reason="Cancelled")
    page = client_for(billing["world"].viewer).get("/alpha/invoices/")
    rows = {
        row.record.number: row.get_cell("due_date")
        for row in page.context["table"].page.object_list
    }
    assert rows[issued.number] == "01/04/2026"
    assert rows[note.number] == ""
    # On the page too (its rows are rendered in one pass): the note's date shows once, as its
    # issue date, not again as a due date.
    html = page.content.decode()
    assert "01/04/2026" in html
    assert html.count(note.issue_date.strftime("%d/%m/%Y")) == 1


def test_the_invoice_list_runs_the_same_queries_for_few_or_many(act, billing, client_for):
    client = client_for(billing["world"].viewer)
    act(
        services.drafts_create,
        project=billing["project"],
        registration_ids=[billing["registrations"][0].pk],
    )

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/alpha/invoices/").status_code == 200
        return len(queries)

    few = count()
    act(
        services.drafts_create,
        project=billing["project"],
        registration_ids=[r.pk for r in billing["registrations"][1:]],
        grouping=Grouping.REGISTRATION,
    )
    assert count() == few


def test_exchange_rates_are_entered_by_finance(billing, client_for):
    client = client_for(billing["world"].finance)
    response = client.post(
        "/alpha/invoices/exchange-rates/", {"currency": "EUR", "date": "2026-01-01", "rate": "1.2"}
    )
    assert response.status_code == 422 and "your base currency" in response.content.decode()
    response = client.post(
        "/alpha/invoices/exchange-rates/", {"currency": "USD", "date": "2026-01-01", "rate": "0.92"}
    )
    assert response.status_code == 302


def test_the_bulk_page_previews_and_starts_a_run_once(billing, client_for):
    client = client_for(billing["world"].finance)
    preview = client.get("/alpha/invoices/runs/", {"grouping": "project"})
    assert "5 rows in 1 project" in preview.content.decode()
    key = preview.context["key"]
    response = client.post("/alpha/invoices/runs/", {"grouping": "project", "key": key})
    again = client.post("/alpha/invoices/runs/", {"grouping": "project", "key": key})
    assert response["Location"] == again["Location"]
    progress = client.get(response["Location"], headers={"HX-Request": "true"})
    assert progress.status_code == 200 and b"<html" not in progress.content


def test_the_run_page_resumes_a_stopped_run_and_refuses_a_finished_one(billing, client_for):
    client = client_for(billing["world"].finance)
    key = client.get("/alpha/invoices/runs/", {"grouping": "project"}).context["key"]
    run_url = client.post("/alpha/invoices/runs/", {"grouping": "project", "key": key})["Location"]
    run = InvoiceRun.objects.get()
    InvoiceRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED)
    resumed = client.post(run_url, {"action": "resume"}, follow=True)
    assert "The run continues with what is left." in resumed.content.decode()
    InvoiceRun.objects.filter(pk=run.pk).update(status=RunStatus.DONE)
    refused = client.post(run_url, {"action": "resume"}, follow=True)
    assert "This run is finished" in refused.content.decode()


def test_the_profitability_tab_shows_invoiced_revenue_net_of_credit_notes(act, billing, client_for):
    (draft,) = act(
        services.drafts_create,
        project=billing["project"],
        registration_ids=[r.pk for r in billing["registrations"]],
    )
    issued = act(services.invoice_issue, invoice=draft)
    act(
        services.invoice_credit,
        invoice=issued,
        line_ids=[issued.lines.first().pk],
        reason="No-show",
    )
    page = client_for(billing["world"].viewer).get(
        f"/alpha/projects/{billing['project'].pk}/profitability/"
    )
    figures = page.context["figures"]
    assert figures.invoiced == 3 * 900
    assert figures.recognised == 3 * 900  # the project recognises revenue on invoice
    assert figures.profit == 3 * 900 - figures.cost
