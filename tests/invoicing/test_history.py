"""Issue 17: Adjust without a change writes no history; an entry says which line and the old
value; amounts in the history read as money, never "net: -540.000"."""

import re

from accounts.platform.models import AuditEntry
from invoicing import services


def _history(page) -> str:
    html = page.content.decode()
    card = html[html.index(">History<") :]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", card))


def _adjust_forms(page) -> list[dict]:
    """Each Adjust form of the page with the values it shows."""
    forms = []
    for form in re.findall(
        r"<form method=\"post\" class=\"d-flex gap-1 mt-1\">.*?</form>", page.content.decode(), re.S
    ):
        fields = dict(re.findall(r'name="(\w+)"\s+value="([^"]*)"', form))
        fields.pop("csrfmiddlewaretoken", None)
        forms.append(fields)
    return forms


def test_adjust_without_a_change_writes_no_history(act, billing, client_for):
    (draft,) = act(
        services.drafts_create,
        project=billing["project"],
        registration_ids=[billing["registrations"][0].pk],
        item_ids=[billing["item"].pk],
    )
    client = client_for(billing["world"].finance)
    url = f"/alpha/invoices/{draft.pk}/"
    forms = _adjust_forms(client.get(url))
    assert len(forms) == 2
    before = AuditEntry.objects.count()
    for fields in forms:  # Adjust pressed as the page shows each line
        client.post(url, fields)
    assert AuditEntry.objects.count() == before
    assert "Draft line changed" not in _history(client.get(url))


def test_a_changed_line_says_which_line_and_its_old_values(act, billing, client_for):
    (draft,) = act(
        services.drafts_create, project=billing["project"], item_ids=[billing["item"].pk]
    )
    line = draft.lines.get()
    client = client_for(billing["world"].finance)
    url = f"/alpha/invoices/{draft.pk}/"
    client.post(url, {"action": "line", "line": line.pk, "quantity": "1", "unit_price": "80"})
    history = _history(client.get(url))
    assert "Draft line changed" in history
    assert f"line: {line.description}" in history
    assert "quantity: 2 → 1" in history
    assert "unit price: €95.00 → €80.00" in history


def test_amounts_in_the_history_read_as_money(act, billing, client_for):
    (draft,) = act(
        services.drafts_create,
        project=billing["project"],
        registration_ids=[billing["registrations"][0].pk],
    )
    issued = act(services.invoice_issue, invoice=draft)
    act(services.invoice_credit, invoice=issued, reason="Cancelled")
    history = _history(client_for(billing["world"].finance).get(f"/alpha/invoices/{issued.pk}/"))
    assert "net: €900.00" in history and "gross: €1,080.00" in history  # issued
    assert "net: -€900.00" in history  # credited
    assert ".000" not in history


def test_adjust_shows_a_three_decimal_price_as_it_is(act, billing, client_for):
    """A KWD price of 1.235 showed as 1.24: Adjust pressed unchanged rewrote the price."""
    from decimal import Decimal

    from invoicing.models import Invoice, InvoiceLine

    (draft,) = act(
        services.drafts_create, project=billing["project"], item_ids=[billing["item"].pk]
    )
    Invoice.objects.filter(pk=draft.pk).update(currency="KWD")
    InvoiceLine.objects.filter(invoice=draft).update(unit_price=Decimal("1.235"))
    client = client_for(billing["world"].finance)
    (fields,) = _adjust_forms(client.get(f"/alpha/invoices/{draft.pk}/"))
    assert fields["unit_price"] == "1.235"


def test_a_credit_note_shows_no_due_date_on_its_page_or_pdf(act, billing, client_for):
    """Issue 17: credit notes showed a due date (the list is tested with the invoice pages)."""
    from invoicing.pdf import invoice_html

    (draft,) = act(
        services.drafts_create,
        project=billing["project"],
        registration_ids=[billing["registrations"][0].pk],
    )
    issued = act(services.invoice_issue, invoice=draft)
    note = act(services.invoice_credit, invoice=issued, reason="Cancelled")
    client = client_for(billing["world"].finance)
    invoice_page = client.get(f"/alpha/invoices/{issued.pk}/").content.decode()
    note_page = client.get(f"/alpha/invoices/{note.pk}/").content.decode()
    assert ", due " in invoice_page and ", due " not in note_page
    assert "Due date" in invoice_html(issued) and "Due date" not in invoice_html(note)
