"""Deposits and down-payment invoices (issue 14, part 4): a deposit invoiced on its own, deducted
by later invoices of the project (review page and bulk runs), restored by credit notes, and
never counted as revenue.

The `billing` fixture's project: four delivered places at 900 net (standard rate, 20 %) and an
exam fee of 190 (exempt): committed value 3,790.
"""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import TestCase

from accounts.platform.tenancy import activate
from invoicing import selectors, services
from invoicing.models import Grouping, Invoice, InvoiceLine, InvoiceRun, LineKind
from projects.models import Registration
from tests.factories import AccountFactory, EventFactory, ProjectFactory

D = Decimal
DAY = datetime.date(2026, 3, 5)


def ids(rows):
    return [row.pk for row in rows]


@pytest.fixture
def deposit(act, billing):
    """Issue a deposit invoice of `amount` (or `percent`) on the fixture's project."""

    def make(amount=None, percent=None, project=None):
        draft = act(
            services.deposit_create,
            project=project or billing["project"],
            amount=amount,
            percent=percent,
        )
        return act(services.invoice_issue, invoice=draft, render_pdf=False)

    return make


def draft(act, billing, registrations=(), items=(), grouping=Grouping.ALL):
    return act(
        services.drafts_create,
        project=billing["project"],
        registration_ids=ids(registrations),
        item_ids=ids(items),
        grouping=grouping,
    )


def summary(billing):
    return selectors.deposit_summary(billing["project"])


def deduction(invoice):
    return invoice.lines.get(kind=LineKind.DEPOSIT_DEDUCTION)


# --- A deposit invoice ---------------------------------------------------------------------------


def test_a_deposit_by_amount_is_its_own_invoice_issued_like_any_other(act, billing):
    draft_invoice = act(services.deposit_create, project=billing["project"], amount="1000")
    assert draft_invoice.is_draft
    (line,) = draft_invoice.lines.all()
    assert line.kind == LineKind.DEPOSIT and line.net == 1000 and line.product_code == "DEPOSIT"
    assert line.description == f"Deposit on {billing['project']}"
    # Places (standard) and the exam fee (exempt) share no treatment: the default rate, 20 %.
    assert (line.tax_category, line.tax_percent) == ("S", 20)
    assert (draft_invoice.net_total, draft_invoice.tax_total, draft_invoice.gross_total) == (
        1000,
        200,
        1200,
    )
    assert summary(billing)["deposit_on_drafts"] == 1000 and summary(billing)["deposit_left"] == 0
    issued = act(services.invoice_issue, invoice=draft_invoice, render_pdf=False)
    assert issued.number == "INV-00001" and issued.seller_name  # numbered and frozen
    figures = summary(billing)
    assert (figures["deposit_received"], figures["deposit_used"], figures["deposit_left"]) == (
        1000,
        0,
        1000,
    )
    # An advance, not revenue: nothing of the project is invoiced yet.
    assert selectors.invoiced_net(billing["project"]) == 0


def test_a_deposit_by_percentage_of_the_committed_value(act, billing):
    invoice = act(services.deposit_create, project=billing["project"], percent="30")
    line = invoice.lines.get()
    assert line.net == D("1137.00")  # 30 % of 4 x 900 + 190
    assert "30 % of the committed value" in line.description
    assert "3,790.00 EUR" in line.description


def test_a_deposit_on_an_exempt_project_is_exempt(act, billing):
    Registration.objects.filter(project=billing["project"]).update(status="cancelled")
    invoice = act(services.deposit_create, project=billing["project"], percent="50")
    line = invoice.lines.get()
    assert line.net == 95 and line.tax_category == "E" and invoice.tax_total == 0


@pytest.mark.parametrize(
    "amount, percent, message",
    [
        (None, None, "Enter either an amount or a percentage"),
        ("100", "10", "Enter either an amount or a percentage"),
        ("-5", None, r"comes to more than 0\.00"),
        (None, "101", "at most 100"),
        ("abc", None, "Enter the amount as a number"),
        ("NaN", None, "Enter the amount as a number"),
    ],
)
def test_a_deposit_says_what_to_change(act, billing, amount, percent, message):
    with pytest.raises(ValidationError, match=message):
        act(services.deposit_create, project=billing["project"], amount=amount, percent=percent)
    assert not Invoice.objects.exists()


def test_a_percentage_of_nothing_ordered_is_refused(act, billing):
    empty = ProjectFactory(account=billing["account"])
    with pytest.raises(ValidationError, match="has nothing ordered yet"):
        act(services.deposit_create, project=empty, percent="30")


def test_no_deposit_on_a_project_marked_do_not_invoice(act, billing):
    project = billing["project"]
    project.do_not_invoice = True
    project.save()
    with pytest.raises(ValidationError, match="do not invoice"):
        act(services.deposit_create, project=project, amount="100")


# --- Deductions ----------------------------------------------------------------------------------


def test_the_next_invoice_deducts_the_deposit_with_its_vat(act, billing, deposit):
    paid_ahead = deposit(amount="1000")
    (invoice,) = draft(act, billing, billing["registrations"][:2])
    line = deduction(invoice)
    assert line.net == -1000 and line.unit_price == -1000 and line.quantity == 1
    assert line.description == (
        f"Deposit deducted: invoice {paid_ahead.number} of {paid_ahead.issue_date:%d %b %Y}"
    )
    assert line.deposit_id == paid_ahead.lines.get().pk
    # The deposit's treatment, negative tax: the VAT of the two invoices adds up.
    assert (line.tax_category, line.tax_code, line.tax_percent) == ("S", "STD", 20)
    assert line.tax_amount == -200
    assert (invoice.net_total, invoice.tax_total, invoice.gross_total) == (800, 160, 960)
    issued = act(services.invoice_issue, invoice=invoice, render_pdf=False)
    assert issued.gross_total + paid_ahead.gross_total == 1800 * D("1.2")
    assert selectors.invoiced_net(billing["project"]) == 1800  # the work, not less, not more
    figures = summary(billing)
    assert (figures["deposit_used"], figures["deposit_left"]) == (1000, 0)
    (only,) = figures["deposits"]
    assert only.uses == [(issued.pk, issued.number, 1000)]


def test_a_deduction_never_takes_an_invoice_below_zero_and_spans_later_invoices(
    act, billing, deposit
):
    deposit(amount="2500")
    first, second, third, fourth = billing["registrations"]
    (one,) = draft(act, billing, [first])
    assert deduction(one).net == -900 and one.net_total == 0 and one.gross_total == 0
    (two,) = draft(act, billing, [second, third])
    assert deduction(two).net == -1600 and two.net_total == 200
    (three,) = draft(act, billing, [fourth])
    assert not three.lines.filter(kind=LineKind.DEPOSIT_DEDUCTION).exists()
    assert summary(billing)["deposit_used"] == 2500 and summary(billing)["deposit_left"] == 0


def test_a_deduction_is_taken_only_from_lines_taxed_like_the_deposit(act, billing, deposit):
    """The exempt exam fee pays nothing of a standard-rated deposit: a deduction of it would
    make the invoice's standard band, its VAT and its total negative."""
    deposit(amount="1000")
    (fee_only,) = draft(act, billing, items=[billing["item"]])
    assert not fee_only.lines.filter(kind=LineKind.DEPOSIT_DEDUCTION).exists()
    act(services.draft_delete, invoice=fee_only)
    (both,) = draft(act, billing, billing["registrations"][:1], [billing["item"]])
    assert deduction(both).net == -900  # the place's 900, not the 1,000 left
    assert both.net_total == 190 and both.tax_total == 0 and both.gross_total == 190


def test_two_deposits_are_deducted_oldest_first(act, billing, deposit):
    older, newer = deposit(amount="500"), deposit(amount="700")
    (invoice,) = draft(act, billing, billing["registrations"][:1])
    lines = list(invoice.lines.filter(kind=LineKind.DEPOSIT_DEDUCTION).order_by("position"))
    assert [(line.deposit.invoice_id, line.net) for line in lines] == [
        (older.pk, -500),
        (newer.pk, -400),
    ]


def test_a_draft_reserves_the_deposit_and_deleting_it_gives_it_back(act, billing, deposit):
    deposit(amount="1000")
    (held,) = draft(act, billing, billing["registrations"][:1])
    assert summary(billing)["deposit_used"] == 900
    (other,) = draft(act, billing, billing["registrations"][1:2])
    assert deduction(other).net == -100  # only what the first draft left
    act(services.draft_delete, invoice=held)
    assert summary(billing)["deposit_used"] == 100
    (again,) = draft(act, billing, billing["registrations"][:1])
    assert deduction(again).net == -900


def test_changing_a_drafts_line_changes_its_deduction(act, billing, deposit):
    deposit(amount="1000")
    (invoice,) = draft(act, billing, billing["registrations"][:2])
    line = invoice.lines.filter(kind=LineKind.REGISTRATION).first()
    act(services.draft_line_update, line=line, quantity=1, unit_price="100")  # 90 net
    invoice.refresh_from_db()
    assert deduction(invoice).net == -990 and invoice.net_total == 0
    act(services.draft_line_update, line=line, quantity=1, unit_price="1000")
    invoice.refresh_from_db()
    assert deduction(invoice).net == -1000 and invoice.net_total == 800
    with pytest.raises(ValidationError, match="deduction follows the other lines"):
        act(services.draft_line_update, line=deduction(invoice), quantity=1, unit_price="0")


def test_a_deposit_draft_is_never_deducted_until_it_is_issued(act, billing):
    act(services.deposit_create, project=billing["project"], amount="1000")
    (invoice,) = draft(act, billing, billing["registrations"][:1])
    assert not invoice.lines.filter(kind=LineKind.DEPOSIT_DEDUCTION).exists()


def test_no_handling_fee_on_a_deposit_or_its_deduction(act, billing, deposit):
    project = billing["project"]
    project.handling_fee_percent = D("10")
    project.save()
    paid_ahead = deposit(amount="500")
    assert not paid_ahead.lines.filter(kind=LineKind.HANDLING_FEE).exists()
    (invoice,) = draft(act, billing, billing["registrations"][:1])
    fee = invoice.lines.get(kind=LineKind.HANDLING_FEE)
    assert fee.net == 90  # 10 % of the place's 900, not of 900 - 500
    assert deduction(invoice).net == -500 and invoice.net_total == 490


# --- Credit notes --------------------------------------------------------------------------------


def test_crediting_a_deduction_makes_it_unused_again(act, billing, deposit):
    deposit(amount="1000")
    (invoice,) = draft(act, billing, billing["registrations"][:2])
    invoice = act(services.invoice_issue, invoice=invoice, render_pdf=False)
    note = act(
        services.invoice_credit,
        invoice=invoice,
        line_ids=[deduction(invoice).pk],
        reason="Deposit kept for the spring cohort",
    )
    credit = note.lines.get()
    assert credit.kind == LineKind.DEPOSIT_DEDUCTION and credit.net == 1000
    assert summary(billing)["deposit_left"] == 1000
    assert selectors.invoiced_net(billing["project"]) == 1800  # the work stays invoiced
    (later,) = draft(act, billing, billing["registrations"][2:3])
    assert deduction(later).net == -900


def test_crediting_a_whole_invoice_restores_its_deduction(act, billing, deposit):
    deposit(amount="1000")
    (invoice,) = draft(act, billing, billing["registrations"][:2])
    invoice = act(services.invoice_issue, invoice=invoice, render_pdf=False)
    act(services.invoice_credit, invoice=invoice, reason="Wrong cohort")
    assert summary(billing)["deposit_used"] == 0
    assert selectors.invoiced_net(billing["project"]) == 0


def test_crediting_the_work_but_keeping_its_deduction_is_refused(act, billing, deposit):
    deposit(amount="1000")
    (invoice,) = draft(act, billing, billing["registrations"][:2])
    invoice = act(services.invoice_issue, invoice=invoice, render_pdf=False)
    first = invoice.lines.filter(kind=LineKind.REGISTRATION).first()
    with pytest.raises(ValidationError, match="tick “Deposit deducted: invoice INV-00001"):
        act(services.invoice_credit, invoice=invoice, line_ids=[first.pk], reason="No-show")
    assert not Invoice.objects.filter(kind="credit_note").exists()
    # Both together: fine, and the deposit is unused again.
    act(
        services.invoice_credit,
        invoice=invoice,
        line_ids=[first.pk, deduction(invoice).pk],
        reason="No-show",
    )
    assert summary(billing)["deposit_left"] == 1000


def test_crediting_a_used_deposit_is_refused_saying_how_much_and_where(act, billing, deposit):
    paid_ahead = deposit(amount="1000")
    (issued,) = draft(act, billing, billing["registrations"][:1])
    issued = act(services.invoice_issue, invoice=issued, render_pdf=False)
    (pending,) = draft(act, billing, billing["registrations"][1:2])
    with pytest.raises(ValidationError) as refused:
        act(services.invoice_credit, invoice=paid_ahead, reason="Project cancelled")
    message = " ".join(refused.value.messages)
    assert "is used: 1,000.00 of it is deducted on" in message
    assert f"{issued.number} (900.00)" in message and f"draft #{pending.pk} (100.00)" in message
    assert not Invoice.objects.filter(kind="credit_note").exists()


def test_an_unused_deposit_is_credited_whole(act, billing, deposit):
    paid_ahead = deposit(amount="1000")
    note = act(services.invoice_credit, invoice=paid_ahead, reason="Project cancelled")
    assert note.net_total == -1000 and note.tax_total == -200
    assert summary(billing)["deposit_received"] == 0
    (invoice,) = draft(act, billing, billing["registrations"][:1])
    assert not invoice.lines.filter(kind=LineKind.DEPOSIT_DEDUCTION).exists()


# --- The maximum billing amount -----------------------------------------------------------------


def test_the_billing_cap_counts_work_once_and_unused_deposits_until_used(act, billing, deposit):
    project = billing["project"]
    project.max_billing_amount = D("3000")
    project.save()
    deposit(amount="2500")
    with pytest.raises(ValidationError, match=r"a deposit may come to at most 500\.00"):
        act(services.deposit_create, project=project, amount="600")
    # 2,700 of work less the 2,500 deposit: the work counts, the deduction does not.
    (invoice,) = draft(act, billing, billing["registrations"][:3])
    assert deduction(invoice).net == -2500
    act(services.invoice_issue, invoice=invoice, render_pdf=False)
    with pytest.raises(ValidationError, match=r"2,700\.00 is invoiced, so 300\.00 is left"):
        draft(act, billing, billing["registrations"][3:])
    with pytest.raises(ValidationError, match=r"a deposit may come to at most 300\.00"):
        act(services.deposit_create, project=project, amount="301")


def test_crediting_a_deduction_alone_cannot_bill_past_the_cap(act, billing, deposit):
    project = billing["project"]
    project.max_billing_amount = D("2000")
    project.save()
    deposit(amount="1000")
    (invoice,) = draft(act, billing, billing["registrations"][:2])
    invoice = act(services.invoice_issue, invoice=invoice, render_pdf=False)
    with pytest.raises(ValidationError, match=r"past its maximum of 2,000\.00"):
        act(
            services.invoice_credit,
            invoice=invoice,
            line_ids=[deduction(invoice).pk],
            reason="Keep the deposit",
        )


# --- Bulk runs -----------------------------------------------------------------------------------


def test_a_bulk_run_deducts_deposits_like_the_review_page(act, billing, deposit, world_a):
    other = ProjectFactory(account=AccountFactory(tenant=billing["tenant"]))
    event = EventFactory(project=other, start_date=DAY, end_date=DAY)
    for _ in range(2):
        Registration.objects.create(
            tenant=other.tenant,
            project=other,
            event=event,
            requested_date=event.start_date,
            status="delivered",
            unit_price=D("300"),
            net_amount=D("300"),
        )
    deposit(amount="1000")
    deposit(amount="400", project=other)
    run = InvoiceRun.objects.create(
        tenant=billing["tenant"],
        key="deposits",
        grouping=Grouping.REGISTRATION,
        selection={"include_internal": False},
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.run_draft(tenant=billing["tenant"], run=run)
    deducted = {
        project.pk: sorted(
            -line.net
            for line in InvoiceLine.objects.filter(
                invoice__run=run, invoice__project=project, kind=LineKind.DEPOSIT_DEDUCTION
            )
        )
        for project in (billing["project"], other)
    }
    # One invoice per registration, in one batch: the first place takes 900 of the deposit,
    # the next the 100 left; the other project's 400 goes on its first place and 100 on the
    # second.
    assert deducted[billing["project"].pk] == [100, 900]
    assert deducted[other.pk] == [100, 300]
    for invoice in run.invoices.all():
        assert invoice.net_total >= 0


def test_a_bulk_batch_reads_every_projects_deposits_in_one_query(act, billing, deposit):
    from django.test.utils import CaptureQueriesContext

    from invoicing.services import deposits

    deposit(amount="1000")
    groups = [(Invoice(project=billing["project"]), []) for _ in range(3)]
    with CaptureQueriesContext(connection) as queries:
        deposits.deduct(billing["tenant"], groups)
    assert len(queries.captured_queries) == 1


# --- Concurrency (PostgreSQL) -------------------------------------------------------------------


@pytest.mark.postgres
def test_two_drafts_at_once_never_use_the_same_deposit_twice(postgres_only, world_a):
    tenant = world_a.tenant
    account = AccountFactory(tenant=tenant)
    project = ProjectFactory(account=account)
    event = EventFactory(project=project, start_date=DAY, end_date=DAY)
    rows = [
        Registration.objects.create(
            tenant=tenant,
            project=project,
            event=event,
            requested_date=event.start_date,
            status="delivered",
            unit_price=D("800"),
            net_amount=D("800"),
        )
        for _ in range(2)
    ]
    with activate(tenant):
        paid_ahead = services.deposit_create(tenant=tenant, by=None, project=project, amount="1000")
        services.invoice_issue(tenant=tenant, by=None, invoice=paid_ahead, render_pdf=False)
    barrier = threading.Barrier(2)
    failures = []

    def bill(row):
        try:
            barrier.wait()
            with activate(tenant):
                services.drafts_create(
                    tenant=tenant, by=None, project=project, registration_ids=[row.pk]
                )
        except Exception as error:
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=bill, args=(row,)) for row in rows]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    with activate(tenant):
        deducted = sorted(
            -line.net for line in InvoiceLine.objects.filter(kind=LineKind.DEPOSIT_DEDUCTION)
        )
        assert deducted == [200, 800]  # 1,000 in all: one draft waited for the other's lock
        assert selectors.deposit_summary(project)["deposit_left"] == 0


def test_a_draft_whose_vat_is_decided_again_at_issue_deducts_again(act, billing, deposit):
    """The customer moved abroad with a VAT id after the draft: its places are reverse-charged
    at issue, and a standard-rated deduction of them would leave the invoice negative: it is
    dropped, and the deposit is unused again."""
    deposit(amount="1000")
    (invoice,) = draft(act, billing, billing["registrations"][:2])
    assert deduction(invoice).net == -1000
    account = billing["account"]
    account.country, account.tax_id = "DE", "DE136695976"
    account.save()
    billing["tenant"].vat_number = "GB980780684"
    billing["tenant"].save()
    issued = act(services.invoice_issue, invoice=invoice, render_pdf=False)
    assert {line.tax_category for line in issued.lines.all()} == {"AE"}
    assert not issued.lines.filter(kind=LineKind.DEPOSIT_DEDUCTION).exists()
    assert issued.net_total == 1800 and issued.gross_total == 1800
    assert summary(billing)["deposit_left"] == 1000
