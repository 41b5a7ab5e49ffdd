"""Deposits against the maximum billing amount, and cancelled places on invoices that deducted a
deposit (issue 14 part 4, the reviewer's three defects).

- The cap counts what the customer is billed: work invoiced and on drafts, and deposits not
  deducted yet (issued ones and those still on drafts); an invoice adds its work less what it
  deducts. Issuing deducts again what is unused then, so a deposit issued after a draft is
  deducted from it.
- Cancelling an invoiced place whose invoice deducted a deposit credits the deduction with the
  place when the rest of the invoice no longer covers it.
- A credit note credits whole lines: the handling fee of a cancelled place's invoice stays.

The `billing` fixture's project: four delivered places at 900 net (standard rate, 20 %) on
events of 1 and 2 March 2026, and an exam fee of 190 (exempt).
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from agreements import cancellations as rules
from invoicing import selectors, services
from invoicing.models import Invoice, InvoiceKind, LineKind
from invoicing.services.issuing import issue_drafts
from projects import services as project_services
from projects.models import Item, Registration, RegistrationStatus

D = Decimal
NINE_DAYS_BEFORE = datetime.date(2026, 2, 20)  # the first event starts on 1 March 2026


def ids(rows):
    return [row.pk for row in rows]


def set_cap(billing, amount):
    project = billing["project"]
    project.max_billing_amount = None if amount is None else D(amount)
    project.save()


def draft(act, billing, registrations=(), items=()):
    (invoice,) = act(
        services.drafts_create,
        project=billing["project"],
        registration_ids=ids(registrations),
        item_ids=ids(items),
    )
    return invoice


def deposit_draft(act, billing, amount):
    return act(services.deposit_create, project=billing["project"], amount=amount)


def issue(act, invoice):
    return act(services.invoice_issue, invoice=invoice, render_pdf=False)


def billed(billing):
    """What the customer is billed: the net of every issued invoice and credit note."""
    return sum(
        Invoice.objects.filter(project=billing["project"])
        .exclude(status="draft")
        .values_list("net_total", flat=True),
        D(0),
    )


def deducted(invoice):
    return -sum(
        invoice.lines.filter(kind=LineKind.DEPOSIT_DEDUCTION).values_list("net", flat=True), D(0)
    )


# --- 1. The maximum billing amount counts what the customer is billed ----------------------------


def test_a_deposit_on_a_draft_counts_against_the_cap_of_a_work_draft(act, billing):
    """Cap 1,000: a 1,000 deposit drafted leaves nothing for a 900 invoice it cannot deduct
    from (a deposit is deducted once issued), whichever is issued first."""
    set_cap(billing, "1000")
    deposit_draft(act, billing, "1000")
    with pytest.raises(ValidationError) as refused:
        draft(act, billing, billing["registrations"][:1])
    message = " ".join(refused.value.messages)
    assert "1,000.00 is on deposits not deducted yet" in message
    assert "0.00 is left and this invoice comes to 900.00" in message
    assert not Invoice.objects.filter(lines__kind=LineKind.REGISTRATION).exists()


def test_a_deposit_issued_after_a_draft_is_deducted_when_the_draft_is_issued(act, billing):
    """The draft was made before the deposit was issued (the cap set since): issuing deducts
    the deposit, so the customer is billed 1,000, not 1,900, on a cap of 1,000."""
    paid_ahead = deposit_draft(act, billing, "1000")
    work = draft(act, billing, billing["registrations"][:1])
    assert deducted(work) == 0  # the deposit is not issued yet
    set_cap(billing, "1000")
    paid_ahead = issue(act, paid_ahead)
    work = issue(act, work)
    line = work.lines.get(kind=LineKind.DEPOSIT_DEDUCTION)
    assert line.net == -900 and line.description.startswith(
        f"Deposit deducted: invoice {paid_ahead.number}"
    )
    assert (work.net_total, work.tax_total, work.gross_total) == (0, 0, 0)
    assert line.tax_amount == -180  # its share of the VAT, frozen with the invoice
    assert billed(billing) == 1000
    assert selectors.deposit_summary(billing["project"])["deposit_left"] == 100
    assert selectors.invoiced_net(billing["project"]) == 900


def test_issuing_deducts_a_deposit_drafted_and_issued_after_the_work(act, billing):
    """Cap 1,000: a 900 draft, then a 100 deposit (all that is left), issued first; the draft
    deducts it when it is issued, and the history says so."""
    set_cap(billing, "1000")
    work = draft(act, billing, billing["registrations"][:1])
    with pytest.raises(ValidationError, match=r"a deposit may come to at most 100\.00"):
        deposit_draft(act, billing, "101")
    issue(act, deposit_draft(act, billing, "100"))
    work = issue(act, work)
    assert deducted(work) == 100 and work.net_total == 800
    assert billed(billing) == 900
    from accounts.platform.models import AuditEntry

    entry = AuditEntry.objects.get(object_id=work.pk, action="deposits deducted again")
    assert entry.before == {"deducted": "0.00"} and entry.after == {"deducted": "100.00"}


def test_drafts_issued_together_share_a_deposit_issued_since(act, billing):
    first = draft(act, billing, billing["registrations"][:1])
    second = draft(act, billing, billing["registrations"][1:2])
    issue(act, deposit_draft(act, billing, "1000"))
    issued = act(issue_drafts, invoice_ids=[first.pk, second.pk], render_pdf=False)
    assert [deducted(invoice) for invoice in issued] == [900, 100]
    assert [invoice.net_total for invoice in issued] == [0, 800]
    assert selectors.deposit_summary(billing["project"])["deposit_left"] == 0


def test_a_deposit_no_line_can_deduct_from_still_counts_against_the_cap(act, billing):
    """The exempt exam fee cannot deduct a standard-rated deposit: the customer would be billed
    the deposit and the fee, 1,190 on a cap of 1,100."""
    set_cap(billing, "1100")
    issue(act, deposit_draft(act, billing, "1000"))
    with pytest.raises(ValidationError) as refused:
        draft(act, billing, items=[billing["item"]])
    message = " ".join(refused.value.messages)
    assert "1,000.00 is on deposits not deducted yet, so 100.00 is left" in message
    assert "this invoice comes to 190.00" in message
    # A place can deduct it: 900 of work less 900 deducted adds nothing.
    work = draft(act, billing, billing["registrations"][:1])
    assert deducted(work) == 900 and work.net_total == 0


def test_issuing_refuses_an_exempt_invoice_the_cap_no_longer_has_room_for(act, billing):
    """Drafted before the cap and the deposit: at issue the deposit is not deductible from the
    exempt fee, and the two would pass the cap."""
    fee_only = draft(act, billing, items=[billing["item"]])
    issue(act, deposit_draft(act, billing, "1000"))
    set_cap(billing, "1100")
    with pytest.raises(ValidationError, match=r"100\.00 is left and this invoice comes to 190"):
        issue(act, fee_only)
    assert Invoice.objects.get(pk=fee_only.pk).is_draft


def test_drafts_issued_together_count_each_other_against_the_cap(act, billing):
    """Two drafts of 900 made before a cap of 1,000: issued together, the second is refused (and
    with it the lot); issued alone, the first fits."""
    first = draft(act, billing, billing["registrations"][:1])
    second = draft(act, billing, billing["registrations"][1:2])
    set_cap(billing, "1000")
    with pytest.raises(ValidationError, match=r"900\.00 is on the invoices issued with it"):
        act(issue_drafts, invoice_ids=[first.pk, second.pk], render_pdf=False)
    assert Invoice.objects.filter(status="draft").count() == 2
    assert issue(act, first).net_total == 900
    with pytest.raises(ValidationError, match=r"900\.00 is invoiced, so 100\.00 is left"):
        issue(act, second)


def test_the_tab_and_the_deposit_form_show_the_same_room_under_the_cap(act, billing, client_for):
    """Cap 3,000; a 1,000 deposit issued, 900 of it deducted on a draft: 900 of work is on
    drafts and 100 of the deposit is not deducted yet, so 2,000 is left, on the tab and on the
    deposit form alike, and a deposit may come to exactly that."""
    set_cap(billing, "3000")
    issue(act, deposit_draft(act, billing, "1000"))
    draft(act, billing, billing["registrations"][:1])
    client = client_for(billing["world"].finance)
    tab = client.get(f"/alpha/projects/{billing['project'].pk}/invoices/")
    assert tab.context["cap_left"] == 2000
    assert 'data-total="cap-left">€2,000.00' in tab.content.decode()
    url = f"/alpha/invoices/deposit/{billing['project'].pk}/"
    form = client.get(url)
    assert form.context["cap_left"] == 2000
    assert 'data-total="cap-left">€2,000.00' in form.content.decode()
    refused = client.post(url, {"amount": "2000.01", "confirm": "True"})
    assert "a deposit may come to at most 2,000.00" in refused.content.decode()
    assert client.post(url, {"amount": "2000", "confirm": "True"}).status_code == 302


# --- 2. and 3. Cancelling a place whose invoice deducted a deposit -------------------------------


@pytest.fixture
def terms(billing):
    rules.cancellation_terms_save(
        tenant=billing["tenant"],
        by=billing["world"].admin,
        booking=None,
        bands=[(15, D(0)), (7, D(50)), (0, D(100))],
        no_show_percent=D(100),
        free_transfer_days=3,
    )


def invoiced_with_deposit(act, billing, amount, places=2, fee_percent=None):
    """A deposit of `amount` issued, then an invoice of the first `places` places deducting it,
    issued; the first place confirmed again (so that it can be cancelled)."""
    if fee_percent is not None:
        billing["project"].handling_fee_percent = D(fee_percent)
        billing["project"].save()
    paid_ahead = issue(act, deposit_draft(act, billing, amount))
    invoice = issue(act, draft(act, billing, billing["registrations"][:places]))
    place = billing["registrations"][0]
    Registration.objects.filter(pk=place.pk).update(status=RegistrationStatus.CONFIRMED)
    place.refresh_from_db()
    return paid_ahead, invoice, place


def cancel(act, place):
    return act(
        project_services.registration_cancel,
        registration=place,
        on_date=NINE_DAYS_BEFORE,
        expected_fee=D("450.00"),
    )


def test_cancelling_a_place_credits_the_deduction_its_invoice_no_longer_covers(act, billing, terms):
    """Two places (1,800) less a 1,000 deposit: without the first place, 900 is left to deduct
    1,000 from, so the credit note credits the place and the deduction, and the deposit is
    unused again, to be deducted from the fee and later invoices."""
    _deposit, invoice, place = invoiced_with_deposit(act, billing, "1000")
    assert selectors.deposit_summary(billing["project"])["deposit_left"] == 0
    quote = cancel(act, place)
    assert quote.credits_invoice
    (note,) = Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE, credits=invoice)
    credited = sorted((line.kind, line.net) for line in note.lines.all())
    assert credited == [(LineKind.DEPOSIT_DEDUCTION, 1000), (LineKind.REGISTRATION, -900)]
    assert note.net_total == 100 and note.tax_total == 20
    assert selectors.deposit_summary(billing["project"])["deposit_left"] == 1000
    place.refresh_from_db()
    assert place.status == RegistrationStatus.CANCELLED and not place.invoiced
    fee = Item.objects.get(fee_for=place)
    assert fee.net_amount == D("450.00")
    assert selectors.invoiced_net(billing["project"]) == 900  # the other place
    # The fee's invoice deducts the deposit made unused again.
    fee_invoice = draft(act, billing, items=[fee])
    assert deducted(fee_invoice) == 450 and fee_invoice.net_total == 0


def test_cancelling_a_place_keeps_a_deduction_the_rest_of_its_invoice_covers(act, billing, terms):
    _deposit, invoice, place = invoiced_with_deposit(act, billing, "500")
    cancel(act, place)
    (note,) = Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE, credits=invoice)
    assert [(line.kind, line.net) for line in note.lines.all()] == [(LineKind.REGISTRATION, -900)]
    assert selectors.deposit_summary(billing["project"])["deposit_left"] == 0


def test_a_cancellation_is_never_refused_for_the_deposit_it_makes_unused(act, billing, terms):
    """Cap 1,800, billed in full (a 1,000 deposit and an invoice of 800 after deducting it):
    the cancelled place's deduction is unused again, which the customer paid already; the
    cancellation goes through, and the fee's invoice, which deducts it, adds nothing."""
    set_cap(billing, "1800")
    _deposit, invoice, place = invoiced_with_deposit(act, billing, "1000")
    assert billed(billing) == 1800
    cancel(act, place)
    assert Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE, credits=invoice).count() == 1
    fee = Item.objects.get(fee_for=place)
    fee_invoice = issue(act, draft(act, billing, items=[fee]))
    assert deducted(fee_invoice) == 450 and fee_invoice.net_total == 0
    # Work that deducts nothing is refused: the cap is used up.
    with pytest.raises(ValidationError, match=r"may be billed at most 1,800\.00"):
        draft(act, billing, items=[billing["item"]])


def test_ticking_the_place_alone_on_the_credit_page_still_asks_for_the_deduction(act, billing):
    _deposit, invoice, place = invoiced_with_deposit(act, billing, "1000")
    line = invoice.lines.get(registration=place)
    with pytest.raises(ValidationError, match="tick “Deposit deducted: invoice INV-00001"):
        act(services.invoice_credit, invoice=invoice, line_ids=[line.pk], reason="No-show")


def test_a_cancelled_places_handling_fee_stays_on_its_invoice(act, billing, terms):
    """A credit note credits whole lines; the fee is one line for all the invoice's places, so
    it is kept (README, Cancellations)."""
    _deposit, invoice, place = invoiced_with_deposit(act, billing, "100", fee_percent="10")
    fee_line = invoice.lines.get(kind=LineKind.HANDLING_FEE)
    assert fee_line.net == 180
    cancel(act, place)
    (note,) = Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE, credits=invoice)
    assert not note.lines.filter(kind=LineKind.HANDLING_FEE).exists()
    assert not fee_line.credited_by.exists()
