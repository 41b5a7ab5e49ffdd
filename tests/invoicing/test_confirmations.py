"""Issue 17: every irreversible invoicing action asks once, saying what will happen (numbers
and amounts), and nothing happens without the confirmation."""

import re

from accounts.platform.models import AuditEntry
from invoicing import services
from invoicing.models import Invoice, InvoiceRun, InvoiceStatus


def _text(response) -> str:
    """The page's text, tags stripped and spaces collapsed (as a reader sees it)."""
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#x27;", "'")


def _draft(act, billing, count=3):
    (draft,) = act(
        services.drafts_create,
        project=billing["project"],
        registration_ids=[r.pk for r in billing["registrations"][:count]],
    )
    return draft


def test_issue_asks_once_with_the_number_and_amounts(act, billing, client_for):
    draft = _draft(act, billing)
    client = client_for(billing["world"].finance)
    url = f"/alpha/invoices/{draft.pk}/"
    question = client.post(url, {"action": "issue"})
    assert question.status_code == 200
    assert (
        f"Issue Draft invoice #{draft.pk} to Meridian Health: 3 lines, net €2,700.00, "
        "total €3,240.00 — this gives it the next number, INV-00001, and cannot be undone."
    ) in _text(question)
    assert 'name="confirmed" value="1"' in question.content.decode()
    draft.refresh_from_db()
    assert draft.status == InvoiceStatus.DRAFT and not draft.number, "nothing happened yet"
    assert not AuditEntry.objects.filter(action="issued").exists()
    # The dry run gave its number back: confirming takes the same one.
    done = client.post(url, {"action": "issue", "confirmed": "1"})
    draft.refresh_from_db()
    assert done.status_code == 302 and draft.number == "INV-00001"


def test_the_question_is_a_page_that_works_without_javascript(act, billing, client_for):
    """A form posting the same fields again, plus a link back: keyboard and no-JS alike."""
    draft = _draft(act, billing)
    page = client_for(billing["world"].finance).post(
        f"/alpha/invoices/{draft.pk}/", {"action": "issue"}
    )
    html = page.content.decode()
    form = html[html.index('<form method="post" action="/alpha/invoices/') :]
    form = form[: form.index("</form>")]
    assert 'name="action" value="issue"' in form and 'name="confirmed" value="1"' in form
    assert '<button type="submit"' in form and "Issue as INV-00001" in form
    assert f'href="/alpha/invoices/{draft.pk}/">Cancel</a>' in form
    assert "<script" not in html.split("</head>")[1]


def test_a_refusal_is_said_before_asking(act, billing, client_for):
    """A draft that cannot be issued says why at once, instead of asking first."""
    draft = _draft(act, billing)
    Invoice.objects.filter(pk=draft.pk).update(currency="USD")  # no USD rate is on file
    client = client_for(billing["world"].finance)
    response = client.post(f"/alpha/invoices/{draft.pk}/", {"action": "issue"}, follow=True)
    assert "Please confirm" not in response.content.decode()
    assert "There is no USD → EUR exchange rate" in response.content.decode()


def test_delete_draft_asks_once(act, billing, client_for):
    draft = _draft(act, billing, count=2)
    client = client_for(billing["world"].finance)
    url = f"/alpha/invoices/{draft.pk}/"
    question = client.post(url, {"action": "delete"})
    assert (
        f"Delete Draft invoice #{draft.pk} to Meridian Health: 2 lines, net €1,800.00, "
        "total €2,160.00. Its registrations and items become due again"
    ) in _text(question)
    assert "A deleted draft cannot be restored." in _text(question)
    assert Invoice.objects.filter(pk=draft.pk).exists()
    client.post(url, {"action": "delete", "confirmed": "1"})
    assert not Invoice.objects.filter(pk=draft.pk).exists()


def test_a_credit_note_asks_once_with_its_lines_number_and_amounts(act, billing, client_for):
    draft = _draft(act, billing)
    issued = act(services.invoice_issue, invoice=draft)
    line = issued.lines.order_by("position").first()
    client = client_for(billing["world"].finance)
    url = f"/alpha/invoices/{issued.pk}/"
    data = {"action": "credit", "lines": [line.pk], "reason": "Wrong price"}
    question = client.post(url, data)
    text = _text(question)
    assert (
        "Issue credit note CN-00001 for INV-00001 (Meridian Health): 1 of its 3 lines, "
        "net -€900.00, total -€1,080.00. Reason printed on it: “Wrong price”."
    ) in text
    assert f"{line.description}: -€900.00" in text
    assert not Invoice.objects.filter(kind="credit_note").exists()
    issued.refresh_from_db()
    assert issued.status == InvoiceStatus.ISSUED
    # The ticked line and the reason travel with the confirmation.
    html = question.content.decode()
    assert f'name="lines" value="{line.pk}"' in html and 'name="reason" value="Wrong price"' in html
    client.post(url, {**data, "confirmed": "1"})
    note = Invoice.objects.get(kind="credit_note")
    assert note.number == "CN-00001" and note.net_total == -900


def test_crediting_the_whole_invoice_says_it_becomes_cancelled(act, billing, client_for):
    issued = act(services.invoice_issue, invoice=_draft(act, billing, count=1))
    question = client_for(billing["world"].finance).post(
        f"/alpha/invoices/{issued.pk}/", {"action": "credit", "reason": "Cancelled course"}
    )
    text = _text(question)
    assert "the whole invoice (1 line), net -€900.00" in text
    assert "INV-00001 becomes cancelled." in text


def test_a_bulk_run_asks_before_issuing_its_drafts(act, billing, client_for):
    run = InvoiceRun.objects.create(tenant=billing["tenant"], key="run-confirm")
    drafts = [
        _draft(act, billing, count=1),
        act(
            services.drafts_create,
            project=billing["project"],
            registration_ids=[billing["registrations"][1].pk],
        )[0],
    ]
    Invoice.objects.filter(pk__in=[d.pk for d in drafts]).update(run=run)
    client = client_for(billing["world"].finance)
    question = client.post(f"/alpha/invoices/runs/{run.pk}/", {"action": "issue"})
    assert (
        f"Issue 2 drafts of run {run.pk}: 2 in EUR, net €1,800.00, total €2,160.00 — they "
        "take the next 2 invoice numbers and cannot be undone."
    ) in _text(question)
    run.refresh_from_db()
    assert run.status != "issuing"
    assert not Invoice.objects.exclude(number="").exists()
