import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.platform.models import AuditEntry
from accounts.platform.tenancy import activate
from agreements.models import LedgerKind, PrepurchaseEntry
from invoicing import payment_selectors, services
from invoicing.models import BillingClaim, ExchangeRate, Grouping, Invoice, InvoiceStatus
from projects.models import Registration, RegistrationStatus
from tests.factories import PrepurchaseFactory


def ids(rows):
    return [row.pk for row in rows]


def draft(act, billing, registrations=None, items=(), grouping=Grouping.ALL):
    registrations = billing["registrations"] if registrations is None else registrations
    return act(
        services.drafts_create,
        project=billing["project"],
        registration_ids=ids(registrations),
        item_ids=ids(items),
        grouping=grouping,
    )


def test_a_draft_has_no_number_and_claims_its_rows(act, billing):
    (invoice,) = draft(act, billing, items=[billing["item"]])
    assert invoice.number == "" and invoice.status == InvoiceStatus.DRAFT
    with activate(billing["tenant"]):
        # One claim per unit billed: four single places and the two units of the item.
        assert BillingClaim.objects.count() == 6
        assert set(
            BillingClaim.objects.filter(item__isnull=False).values_list("unit", flat=True)
        ) == {1, 2}
        assert set(Registration.objects.values_list("invoiced", flat=True)) == {True}
        assert set(Registration.objects.values_list("billed_quantity", flat=True)) == {1}
    # 4 × 900 at 20 % and 190 exempt: tax on each rate's sum of nets.
    assert (invoice.net_total, invoice.tax_total, invoice.gross_total) == (
        Decimal("3790.00"),
        Decimal("720.00"),
        Decimal("4510.00"),
    )


def test_only_delivered_rows_can_be_picked_and_the_others_say_why(act, billing):
    requested = billing["registrations"][0]
    Registration.objects.filter(pk=requested.pk).update(status=RegistrationStatus.CONFIRMED)
    with pytest.raises(
        ValidationError, match=r"it is confirmed; .* places are invoiced on delivery"
    ):
        draft(act, billing)
    billing["project"].billing_moment = "on_confirmation"
    billing["project"].save()
    assert draft(act, billing)


@pytest.mark.parametrize("flag", ["do_not_invoice", "finished"])
def test_do_not_invoice_and_finished_projects_are_refused(act, billing, flag):
    project = billing["project"]
    if flag == "finished":
        project.status = "finished"
    else:
        project.do_not_invoice = True
    project.save()
    with pytest.raises(ValidationError, match=r"do not invoice|finished"):
        draft(act, billing)


@pytest.mark.parametrize(
    ("grouping", "count"),
    [
        (Grouping.ALL, 1),
        (Grouping.REGISTRATION, 5),
        (Grouping.EVENT, 3),
        (Grouping.PURCHASE_ORDER, 3),
    ],
)
def test_grouping_decides_how_many_invoices(act, billing, grouping, count):
    invoices = draft(act, billing, items=[billing["item"]], grouping=grouping)
    assert len(invoices) == count
    if grouping == Grouping.PURCHASE_ORDER:
        assert {i.po_reference for i in invoices} == {"PO-A", "PO-B", ""}


def test_the_result_does_not_depend_on_the_order_of_selection(act, billing, world_b):
    forwards = draft(act, billing, grouping=Grouping.EVENT)
    first = [(i.net_total, [line.description for line in i.lines.all()]) for i in forwards]
    for invoice in forwards:
        act(services.draft_delete, invoice=invoice)
    backwards = draft(
        act,
        billing,
        registrations=list(reversed(billing["registrations"])),
        grouping=Grouping.EVENT,
    )
    assert [(i.net_total, [line.description for line in i.lines.all()]) for i in backwards] == first


def test_a_row_is_never_on_two_live_invoices(act, billing):
    draft(act, billing, registrations=billing["registrations"][:1])
    with pytest.raises(ValidationError, match="on an invoice already"):
        draft(act, billing, registrations=billing["registrations"][:1])
    with activate(billing["tenant"]):
        line = Invoice.objects.get().lines.get()
        with pytest.raises(IntegrityError), transaction.atomic():
            BillingClaim.objects.create(
                tenant=billing["tenant"], line=line, registration=billing["registrations"][0]
            )


def test_the_handling_fee_is_its_own_line(act, billing):
    billing["project"].handling_fee_percent = Decimal("2.5")
    billing["project"].save()
    (invoice,) = draft(act, billing)
    fee = invoice.lines.get(kind="handling_fee")
    assert fee.net == Decimal("90.00")  # 2.5 % of 3,600
    assert invoice.net_total == Decimal("3690.00")


def test_the_maximum_billing_amount_is_never_passed(act, billing):
    billing["project"].max_billing_amount = Decimal("2000")
    billing["project"].save()
    draft(act, billing, registrations=billing["registrations"][:2])  # 1,800
    with pytest.raises(ValidationError, match=r"200\.00 is left and this invoice comes to 900\.00"):
        draft(act, billing, registrations=billing["registrations"][2:3])


def test_issuing_numbers_gaplessly_with_the_tenants_prefix(act, billing):
    billing["tenant"].invoice_prefix = "NWT-"
    billing["tenant"].save()
    drafts = draft(act, billing, grouping=Grouping.REGISTRATION)
    numbers = [act(services.invoice_issue, invoice=invoice).number for invoice in drafts]
    assert numbers == ["NWT-00001", "NWT-00002", "NWT-00003", "NWT-00004"]


def test_a_failed_issue_gives_its_number_back(act, billing):
    drafts = draft(act, billing, grouping=Grouping.REGISTRATION)
    billing["project"].currency = "USD"
    Invoice.objects.filter(pk=drafts[0].pk).update(currency="USD")
    with pytest.raises(ValidationError, match="no USD → EUR exchange rate"):
        act(services.invoice_issue, invoice=drafts[0])
    assert act(services.invoice_issue, invoice=drafts[1]).number.endswith("00001")


def test_a_foreign_currency_invoice_stores_the_rate_of_its_issue_date(act, billing):
    billing["tenant"].base_currency = "GBP"
    billing["tenant"].save()
    (invoice,) = draft(act, billing)
    with pytest.raises(ValidationError, match="Exchange rates"):
        act(services.invoice_issue, invoice=invoice, on_date=datetime.date(2026, 4, 1))
    ExchangeRate.objects.create(
        tenant=billing["tenant"],
        currency="EUR",
        date=datetime.date(2026, 3, 31),
        rate=Decimal("0.86"),
    )
    ExchangeRate.objects.create(
        tenant=billing["tenant"],
        currency="EUR",
        date=datetime.date(2026, 4, 2),
        rate=Decimal("0.99"),
    )
    issued = act(services.invoice_issue, invoice=invoice, on_date=datetime.date(2026, 4, 1))
    assert issued.exchange_rate == Decimal("0.86")


def test_issuing_freezes_a_snapshot_that_later_edits_do_not_change(act, billing):
    (invoice,) = draft(act, billing)
    issued = act(services.invoice_issue, invoice=invoice)
    # A British address: the town, then the postcode (addresses follow their country's format).
    assert issued.billing_name == "Meridian Health" and "London\nN1 1AA" in issued.billing_address
    billing["account"].name = "Renamed Ltd"
    billing["account"].save()
    issued.refresh_from_db()
    assert issued.billing_name == "Meridian Health" and issued.due_date == (
        issued.issue_date + datetime.timedelta(days=30)
    )


@pytest.mark.parametrize("stale_share", [None, Decimal("1.00")])
def test_issuing_recomputes_totals_and_tax_shares_from_the_lines(act, billing, stale_share):
    (invoice,) = draft(act, billing, items=[billing["item"]])
    with activate(billing["tenant"]):  # a draft whose stored figures went stale
        Invoice.objects.filter(pk=invoice.pk).update(net_total=0, tax_total=0, gross_total=0)
        invoice.lines.filter(position=1).update(tax_amount=stale_share)
    issued = act(services.invoice_issue, invoice=invoice)
    assert (issued.net_total, issued.tax_total, issued.gross_total) == (
        Decimal("3790.00"),
        Decimal("720.00"),
        Decimal("4510.00"),
    )
    with activate(billing["tenant"]):
        shares = {line.tax_code: Decimal(0) for line in issued.lines.all()}
        for line in issued.lines.all():
            shares[line.tax_code] += line.tax_amount
    assert shares == {"STD": Decimal("720.00"), "EXM": Decimal("0.00")}


def test_an_issued_invoice_cannot_be_edited_or_deleted(act, billing):
    (invoice,) = draft(act, billing)
    issued = act(services.invoice_issue, invoice=invoice)
    line = issued.lines.first()
    with pytest.raises(ValidationError, match="only credited"):
        act(services.draft_line_update, line=line, quantity=1, unit_price=1)
    with pytest.raises(ValidationError, match="only credited"):
        act(services.draft_delete, invoice=issued)
    with pytest.raises(ValidationError, match="cannot be deleted"):
        issued.delete()


def test_a_draft_line_can_be_adjusted_and_totals_follow(act, billing):
    (invoice,) = draft(act, billing, registrations=billing["registrations"][:1])
    line = invoice.lines.get()
    act(services.draft_line_update, line=line, quantity=1, unit_price="800")
    invoice.refresh_from_db()
    assert invoice.net_total == Decimal("720.00")  # 800 less 10 %
    with pytest.raises(ValidationError, match="at most 1 of this row"):
        act(services.draft_line_update, line=line, quantity=2, unit_price="800")


def test_adjusting_a_line_without_a_change_writes_no_history(act, billing):
    (invoice,) = draft(act, billing, registrations=billing["registrations"][:1])
    line = invoice.lines.get()
    act(services.draft_line_update, line=line, quantity=line.quantity, unit_price=line.unit_price)
    assert not AuditEntry.objects.filter(action="draft line changed").exists()
    act(services.draft_line_update, line=line, quantity=1, unit_price="800")
    entry = AuditEntry.objects.get(action="draft line changed")
    assert entry.before["line"] == line.description[:80]  # says which line, and its old value


def test_deleting_a_draft_releases_its_rows(act, billing):
    (invoice,) = draft(act, billing)
    act(services.draft_delete, invoice=invoice)
    with activate(billing["tenant"]):
        assert not BillingClaim.objects.exists()
        assert set(Registration.objects.values_list("invoiced", flat=True)) == {False}
    assert draft(act, billing)


def test_crediting_one_line_releases_it_to_be_invoiced_again(act, billing):
    (invoice,) = draft(act, billing)
    issued = act(services.invoice_issue, invoice=invoice)
    line = issued.lines.first()
    note = act(services.invoice_credit, invoice=issued, line_ids=[line.pk], reason="No-show")
    assert note.number == "CN-00001" and note.credits == issued
    assert note.net_total == -line.net and note.tax_total == Decimal("-180.00")
    issued.refresh_from_db()
    assert issued.status == InvoiceStatus.ISSUED
    (again,) = act(
        services.drafts_create,
        project=billing["project"],
        registration_ids=[line.registration_id],
        grouping=Grouping.ALL,
    )
    assert again.lines.get().registration_id == line.registration_id
    with pytest.raises(ValidationError, match="credited already"):
        act(services.invoice_credit, invoice=issued, line_ids=[line.pk])


def test_a_full_credit_cancels_the_invoice_and_balances_to_zero(act, billing):
    (invoice,) = draft(act, billing, items=[billing["item"]])
    issued = act(services.invoice_issue, invoice=invoice)
    note = act(services.invoice_credit, invoice=issued, reason="Wrong customer")
    issued.refresh_from_db()
    assert issued.status == InvoiceStatus.CANCELLED
    assert issued.gross_total + note.gross_total == 0
    with activate(billing["tenant"]):
        # The credit note paid the invoice in full: nothing outstanding, no credit left over.
        assert payment_selectors.account_balance(billing["account"]) == []


def test_only_an_issued_invoice_is_paid(act, billing):
    (invoice,) = draft(act, billing)
    pay = {"billing_account": billing["account"], "amount": "100", "currency": "EUR"}
    with pytest.raises(ValidationError, match="only issued invoices are paid"):
        act(services.payment_record, invoices=[invoice], **pay)
    issued = act(services.invoice_issue, invoice=invoice)
    payment = act(services.payment_record, invoices=[issued], date=datetime.date(2026, 5, 1), **pay)
    assert payment.allocations.get().amount == 100


def test_every_step_leaves_an_append_only_audit_entry(act, billing):
    first, second = draft(act, billing, grouping=Grouping.PURCHASE_ORDER)
    issued = act(services.invoice_issue, invoice=first)
    act(
        services.payment_record,
        billing_account=billing["account"],
        amount="50",
        currency="EUR",
        invoices=[issued],
    )
    act(services.invoice_credit, invoice=issued, reason="Goodwill")
    act(services.draft_delete, invoice=second)
    with activate(billing["tenant"]):
        actions = list(
            AuditEntry.objects.filter(object_type="invoicing.invoice").values_list(
                "action", flat=True
            )
        )
        assert {
            "draft created",
            "issued",
            "payment allocated",
            "credit allocated",
            "credited",
            "draft deleted",
        } <= set(actions)
        entry = AuditEntry.objects.get(action="issued", object_id=issued.pk)
        assert entry.actor == billing["world"].finance and entry.after["number"] == "INV-00001"
        with pytest.raises(ValidationError):
            entry.save()
        with pytest.raises(ValidationError):
            AuditEntry.objects.all().delete()


def test_a_price_override_is_audited(act, billing):
    from projects import services as project_services

    registration = billing["registrations"][0]
    act(project_services.price_override, row=registration, unit_price="750", reason="Goodwill")
    with activate(billing["tenant"]):
        entry = AuditEntry.objects.get(action="price overridden")
    assert entry.before["unit_price"] == "1000.000" and entry.after["unit_price"] == "750.00"


def test_a_prepurchase_registration_is_a_zero_due_line_and_a_ledger_use(act, billing):
    agreement = PrepurchaseFactory(account=billing["account"], overdraft_limit=Decimal("0"))
    with activate(billing["tenant"]):
        from agreements import services as agreement_services

        agreement_services.prepurchase_charge(
            tenant=billing["tenant"], by=None, agreement=agreement, amount="1000"
        )
    paid_from_fund = billing["registrations"][0]
    Registration.objects.filter(pk=paid_from_fund.pk).update(prepurchase=agreement)
    (invoice,) = draft(act, billing, registrations=[paid_from_fund])
    line = invoice.lines.get()
    assert (line.kind, line.net, line.prepaid_value) == ("prepurchase", 0, Decimal("900.00"))
    act(services.invoice_issue, invoice=invoice)
    with activate(billing["tenant"]):
        use = PrepurchaseEntry.objects.get(kind=LedgerKind.USE)
    assert use.amount == Decimal("900.00")


def test_a_prepurchase_use_past_the_overdraft_refuses_the_issue(act, billing):
    agreement = PrepurchaseFactory(account=billing["account"], overdraft_limit=Decimal("0"))
    Registration.objects.filter(pk=billing["registrations"][0].pk).update(prepurchase=agreement)
    (invoice,) = draft(act, billing, registrations=billing["registrations"][:1])
    with pytest.raises(ValidationError, match="cannot be paid from it"):
        act(services.invoice_issue, invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.is_draft and invoice.number == ""
