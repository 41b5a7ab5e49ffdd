"""Internal budget funders (issue 13, part 2): an internal budget takes its share like any
funder (priority, percentage, cap, products) but nobody is invoiced for it: the share's work line
stays on the customer's invoice, billed to the budget, and a "paid from internal budget" line
takes it off what the customer owes. Revenue counts the work once; the cap counts the share."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.platform.money import round_money
from invoicing import funder_selectors, selectors, services
from invoicing.models import Invoice, InvoiceLine, LineKind
from projects.models import FunderKind
from tests.invoicing.test_funders import add_funder, by_payer, draft, issue_all


def internal(act, billing, **fields):
    return add_funder(act, billing, kind=FunderKind.INTERNAL, name="Training budget", **fields)


def test_an_internal_budget_takes_its_share_off_the_customers_invoice_and_nobody_else_is_billed(
    act, billing
):
    budget = internal(act, billing, percent=Decimal("40"))
    assert budget.account is None  # nobody to invoice
    (invoice,) = draft(act, billing)
    assert invoice.billing_account == billing["project"].billing_account
    assert invoice.net_total == Decimal("2274.00")  # 60 % of 3,790: what the customer owes
    offsets = invoice.lines.filter(kind=LineKind.INTERNAL_BUDGET)
    assert sum(line.net for line in offsets) == Decimal("-1516.00")
    shares = invoice.lines.filter(funder=budget).exclude(kind=LineKind.INTERNAL_BUDGET)
    assert sum(line.net for line in shares) == Decimal("1516.00")
    # VAT is on what the customer pays only: 60 % of the 3,600 of taxed places (the exam fee
    # is not taxed).
    percent = invoice.lines.filter(registration__isnull=False).first().tax_percent
    assert invoice.tax_total == round_money(Decimal("2160.00") * percent / 100, "EUR")
    assert Invoice.objects.count() == 1


def test_an_internal_budget_cap_holds_and_the_rest_falls_to_the_customer(act, billing):
    internal(act, billing, percent=Decimal("40"), cap=Decimal("1000"))
    (invoice,) = draft(act, billing, items=[])
    (use,) = funder_selectors.project_funders(billing["project"])
    assert (use.on_drafts, use.left) == (Decimal("1000.00"), Decimal("0"))
    assert invoice.net_total == Decimal("3600.00") - Decimal("1000.00")


def test_revenue_is_what_the_customer_funders_and_internal_budget_cover_and_credit_reverses_it(
    act, billing
):
    from reporting.selectors import project_figures

    project = billing["project"]
    add_funder(act, billing, name="Skills Fund", percent=Decimal("25"), priority=1)
    internal(act, billing, percent=Decimal("20"), priority=2, cap=Decimal("3000"))
    invoices = by_payer(issue_all(act, draft(act, billing)))
    customer = invoices["Meridian Health"]
    assert invoices["Skills Fund"].net_total + customer.net_total + Decimal("758.00") == Decimal(
        "3790.00"
    )
    assert selectors.invoiced_net(project) == Decimal("3790.00")  # every payer's part, once
    assert project_figures(project).invoiced == Decimal("3790.00")
    (_fund, budget) = funder_selectors.project_funders(project)
    assert (budget.invoiced, budget.left) == (Decimal("758.00"), Decimal("2242.00"))
    note = act(services.invoice_credit, invoice=customer, reason="Cancelled")
    assert note.net_total == -customer.net_total
    assert sum(line.net for line in note.lines.filter(kind=LineKind.INTERNAL_BUDGET)) == Decimal(
        "758.00"
    )
    (_fund, budget) = funder_selectors.project_funders(project)
    assert (budget.invoiced, budget.left) == (Decimal("0.00"), Decimal("3000.00"))
    assert selectors.invoiced_net(project) == invoices["Skills Fund"].net_total


def test_the_internal_budget_is_never_receivable(act, billing):
    import datetime

    from reporting.aged import aged_receivables

    internal(act, billing, percent=Decimal("40"))
    (invoice,) = issue_all(act, draft(act, billing))
    report = aged_receivables(
        as_of=datetime.date.today() + datetime.timedelta(days=400), base_currency="EUR"
    )
    assert {row.account_name: row.base_total for row in report.rows} == {
        "Meridian Health": invoice.gross_total
    }


def test_the_internal_budget_line_is_not_changed_on_its_own(act, billing):
    internal(act, billing, percent=Decimal("40"))
    (invoice,) = draft(act, billing)
    line = InvoiceLine.objects.filter(invoice=invoice, kind=LineKind.INTERNAL_BUDGET).first()
    with pytest.raises(ValidationError):
        act(services.draft_line_update, line=line, quantity=1, unit_price=Decimal("1"))


def test_an_internal_budget_has_no_fee(act, billing):
    with pytest.raises(ValidationError, match="not charged a fee"):
        internal(act, billing, percent=Decimal("40"), admin_fee_percent=Decimal("5"))


def test_the_run_preview_shows_each_payers_invoice_as_the_run_splits_it(act, billing):
    from accounts.platform.tenancy import activate
    from invoicing.models import Grouping
    from invoicing.run_previews import planned_invoices

    add_funder(act, billing, name="Skills Fund", percent=Decimal("40"), priority=1)
    internal(act, billing, percent=Decimal("50"), priority=2)
    with activate(billing["tenant"]):
        included, _ = selectors.run_candidates()
        planned = planned_invoices(included, Grouping.PROJECT)["invoices"]
    by_account = {invoice.billing_account.name: invoice for invoice in planned}
    assert set(by_account) == {"Skills Fund", "Meridian Health"}  # nobody billed for the budget
    assert by_account["Skills Fund"].net == Decimal("1516.00")
    assert by_account["Skills Fund"].funder == "Skills Fund"
    customer = by_account["Meridian Health"]
    assert customer.split_with == ("Skills Fund", "Training budget")
    # 3,790 less the fund's 40 % and the budget's 50 % (each a share of the whole line).
    assert customer.net == Decimal("379.00")
    # The run bills exactly that.
    invoices = by_payer(draft(act, billing))
    assert invoices["Meridian Health"].net_total == customer.net
    assert invoices["Skills Fund"].net_total == by_account["Skills Fund"].net


def test_crediting_a_place_credits_the_customer_what_it_paid_for_it(act, billing):
    budget = internal(act, billing, percent=Decimal("40"))
    (invoice,) = issue_all(act, draft(act, billing))
    registration = billing["registrations"][0]
    (number,) = act(services.registration_credit, registration=registration, reason="Cancelled")
    note = Invoice.objects.get(number=number)
    assert note.net_total == Decimal("-540.00")  # the customer's 60 % of 900, not 900
    (use,) = funder_selectors.project_funders(billing["project"])
    assert use.funder == budget and use.invoiced == Decimal("1516.00") - Decimal("360.00")
    offset = invoice.lines.filter(kind=LineKind.INTERNAL_BUDGET, credited_by=None).first()
    with pytest.raises(ValidationError, match="credited with the line it pays for"):
        act(services.invoice_credit, invoice=invoice, line_ids=[offset.pk], reason="x")
