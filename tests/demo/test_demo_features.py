"""The demo shows each feature as a person would look for it (one section per issue): the
deposits, funders, languages, invoices across projects, payments, the phased programme,
reminders and saved views.

The demo is seeded once for the package (`seeded_demo`, tests/demo/conftest.py); each test reads
it, and what a test writes is rolled back after it."""

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Sum
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from accounts.platform.models import SavedView, Tenant
from accounts.platform.tenancy import activate

pytestmark = pytest.mark.usefixtures("seeded_demo")


# --- Deposits ----------------------------------------
# The demo shows deposits (issue 14, part 4): a 30 % deposit invoiced on its own and partly
# deducted by a later issued invoice, with the rest left for the next cohorts.


def test_the_demo_has_a_30_percent_deposit_partly_deducted_on_a_later_invoice(db):
    from invoicing.models import Invoice, InvoiceLine, LineKind
    from invoicing.selectors import cap_room, deposit_summary, invoiced_net

    with activate(Tenant.objects.get(slug="northwind")):
        deposit_line = InvoiceLine.objects.select_related("invoice__project").get(
            kind=LineKind.DEPOSIT
        )
        assert "30 % of the committed value" in deposit_line.description
        deposit = deposit_line.invoice
        assert deposit.status == "issued" and deposit.number
        deduction = InvoiceLine.objects.select_related("invoice").get(
            kind=LineKind.DEPOSIT_DEDUCTION
        )
        later = deduction.invoice
        assert later.status == "issued" and later.issue_date >= deposit.issue_date
        assert later.sequence_number > deposit.sequence_number
        assert deduction.deposit_id == deposit_line.pk and later.gross_total > 0
        project = deposit.project
        summary = deposit_summary(project)
        assert summary["deposit_received"] == deposit_line.net
        assert 0 < summary["deposit_used"] < summary["deposit_received"]  # partly used
        assert summary["deposit_left"] == deposit_line.net + deduction.net
        # The invoiced figure is the cohort's work, not the deposit.
        work = sum(
            line.net for line in later.lines.all() if line.kind != LineKind.DEPOSIT_DEDUCTION
        )
        assert invoiced_net(project) == work
        # Its cap counts what the customer is billed: the work and the deposit not deducted yet.
        room = cap_room(project)
        assert project.max_billing_amount and room.unused == summary["deposit_left"] > 0
        assert room.left == project.max_billing_amount - work - summary["deposit_left"]
        numbers = sorted(
            Invoice.objects.filter(kind="invoice")
            .exclude(status="draft")
            .values_list("sequence_number", "issue_date")
        )
        assert [day for _n, day in numbers] == sorted(day for _n, day in numbers)


# --- Funders ----------------------------------------
# The demo shows funding sources (issue 13, part 2): a phased programme a grant fund pays 40 %
# of, up to a cap, each delivered phase invoiced to the fund and to the customer.


def test_the_demo_has_a_programme_split_between_a_grant_and_the_customer(db):
    from decimal import Decimal

    from invoicing.funder_selectors import customer_share, project_funders
    from invoicing.models import Invoice, LineKind
    from invoicing.selectors import invoiced_net
    from projects.models import FunderKind

    with activate(Tenant.objects.get(slug="northwind")):
        uses = [
            use
            for invoice in Invoice.objects.filter(lines__funder__isnull=False).distinct()[:1]
            for use in project_funders(invoice.project)
        ]
        (use,) = [use for use in uses if use.funder.kind == FunderKind.GRANT]
        # The internal budget pays from the third phase on: nothing of it invoiced yet.
        (budget,) = [use for use in uses if use.funder.kind == FunderKind.INTERNAL]
        assert budget.funder.account is None and budget.used == 0
        funder = use.funder
        project = funder.project
        assert funder.percent == Decimal(40) and funder.cap and funder.admin_fee_percent
        issued = Invoice.objects.filter(project=project).exclude(status="draft")
        to_fund = issued.filter(billing_account=funder.account)
        to_customer = issued.filter(billing_account=project.billing_account)
        assert to_fund.count() == to_customer.count() == 2  # two phases, two payers each
        assert all(invoice.lines.filter(kind=LineKind.ADMIN_FEE).count() for invoice in to_fund)
        # The fund pays 40 % of the two phases' work (its fee on top is revenue too); what is
        # left of its cap is shown on the tab.
        work = use.invoiced + customer_share(project)
        assert work + use.admin_fees == invoiced_net(project)
        assert use.invoiced == (work * Decimal("0.4")).quantize(Decimal("0.01"))
        assert 0 < use.left < funder.cap


# --- Languages ----------------------------------------
# The demo shows issue 17: German customers of the (English) demo company get German invoices.


def test_the_german_customers_invoices_are_written_in_german(db):
    from invoicing.models import Invoice
    from invoicing.pdf import invoice_html

    tenant = Tenant.objects.get(slug="northwind")
    assert tenant.language == "en-gb"
    with activate(tenant):
        german = Account.objects.filter(language="de")
        assert set(german.values_list("country", flat=True)) == {"DE"}
        issued = Invoice.objects.filter(billing_account__in=german).exclude(number="")
        invoice = issued.order_by("pk").first()
        assert invoice is not None, "no issued invoice to a German customer in the demo"
        assert invoice.buyer_details["language"] == "de"
        html = invoice_html(invoice)
        english = Invoice.objects.exclude(billing_account__in=german).exclude(number="").first()
        english_html = invoice_html(english)
    assert "Rechnungsdatum" in html and "Kundennummer" in html
    assert "Issue date" in english_html and "Rechnungsdatum" not in english_html


# --- Multiproject ----------------------------------------
# The demo shows one invoice across projects (issue 13, part 3): two projects of one billing
# account invoiced together, each line saying its project, and more of both waiting on the
# account's review page.


def test_the_demo_has_an_issued_invoice_across_two_projects(db, client):
    from invoicing.models import Invoice, InvoiceLine
    from invoicing.selectors import invoiced_net

    tenant = Tenant.objects.get(slug="northwind")
    with activate(tenant):
        lines = InvoiceLine.objects.filter(invoice__tags__contains="one invoice").select_related(
            "project", "invoice"
        )
        invoices = {line.invoice for line in lines}
        assert len(invoices) == 1
        (invoice,) = invoices
        assert invoice.status == "issued" and invoice.number
        projects = {line.project for line in lines}
        assert len(projects) == 2
        assert all(line.description.startswith(f"{line.project.code}: ") for line in lines)
        for project in projects:  # each project's revenue is its own lines
            mine = sum(line.net for line in lines if line.project == project)
            assert invoiced_net(project) == mine > 0
        capped = [project for project in projects if project.max_billing_amount]
        assert len(capped) == 1
        assert Invoice.objects.filter(pk=invoice.pk, billing_account=capped[0].billing_account)
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(email="fiona.finance@northwind.example"))
    account = capped[0].billing_account
    page = client.get(f"/northwind/invoices/from-account/{account.pk}/")
    assert page.status_code == 200
    assert page.content.decode().count('name="selected"') >= 8  # the cohorts waiting


# --- Payments ----------------------------------------
# The demo shows payments (issue 16, part 1): invoices paid in full, partly paid and overdue,
# an over-payment left on the account and partly allocated later, a reversed cheque, credit
# notes allocated (at issue, and to another invoice of the account), and a EUR payment at another
# rate than its invoice's (an exchange gain).


def test_the_demo_shows_every_payment_rule(db):
    from invoicing import payment_selectors
    from invoicing.models import Allocation, Invoice, InvoiceState, Payment, PaymentReversal

    with activate(Tenant.objects.get(slug="northwind")):
        invoices = list(payment_selectors.with_state(Invoice.objects.all()))
        states = {invoice.state for invoice in invoices}
        assert {InvoiceState.PAID, InvoiceState.PARTLY_PAID, InvoiceState.OVERDUE} <= states
        assert {InvoiceState.OPEN, InvoiceState.DRAFT, InvoiceState.ISSUED} <= states
        assert not Invoice.objects.filter(status="paid").exists()  # no flag: allocations
        # An overdue invoice paid in part: the cheque of 25 %.
        assert any(
            i.state == InvoiceState.OVERDUE and 0 < i.allocated < i.gross_total for i in invoices
        )
        # The over-payment: it paid one invoice, part of the rest another one later, the rest
        # stays on the account.
        (over,) = payment_selectors.unallocated_payments()
        allocations = list(over.allocations.order_by("date", "pk"))
        assert len(allocations) == 2 and allocations[1].date > over.date
        assert over.unallocated == 350
        (balance,) = payment_selectors.account_balance(over.billing_account)
        assert balance.unallocated_payments == 350
        # A bounced cheque, reversed with its reason: its invoice owes everything again.
        reversal = PaymentReversal.objects.select_related("payment").get()
        assert "returned unpaid" in reversal.reason
        bounced = reversal.payment.allocations.get().invoice
        assert payment_selectors.outstanding(bounced) == bounced.gross_total
        # Credit notes: one allocated at issue to the invoice it credits, one to another.
        credits = Allocation.objects.filter(credit_note__isnull=False).select_related("credit_note")
        assert any(a.invoice_id == a.credit_note.credits_id for a in credits)
        assert any(a.invoice_id != a.credit_note.credits_id for a in credits)
        # A EUR payment at a rate above its invoice's: an exchange gain.
        eur = Payment.objects.filter(currency="EUR", reference__startswith="SEPA").get()
        (allocation,) = eur.allocations.select_related("invoice")
        assert eur.exchange_rate > allocation.invoice.exchange_rate
        assert allocation.exchange_difference > 0
        assert payment_selectors.state_of(allocation.invoice)["state"] == InvoiceState.PAID
        # Nothing allocates more than it has.
        for payment in payment_selectors.with_unallocated(Payment.objects.all()):
            assert payment.unallocated >= 0
        assert all(invoice.outstanding >= 0 for invoice in invoices)
        assert Allocation.objects.aggregate(total=Sum("amount"))["total"] > 0


# --- Programme ----------------------------------------
# The demo shows a phased programme (issue 13): phases billed by milestone and row by row, a
# milestone invoiced, one ready to invoice, one waiting for its course; the phases tab shows it.


def test_the_demo_has_a_phased_programme_with_milestones(db):
    from demo.programmes import programme_project
    from invoicing.models import InvoiceLine
    from projects.billing import invoiceable_items, row_problem
    from projects.models import Item, Phase
    from reporting.phases import phase_figures

    tenant = Tenant.objects.get(slug="northwind")
    with activate(tenant):
        project = programme_project()
        phases = list(Phase.objects.filter(project=project).order_by("start_date"))
        names = [phase.name for phase in phases]
        assert names == ["Discovery", "Design", "Roll-out", "Evaluation"]
        invoiced = InvoiceLine.objects.get(item__milestone__phase=phases[0])
        assert invoiced.invoice.status == "issued"
        assert invoiced.description.startswith("Milestone 1 of phase Discovery")
        ready = Item.objects.filter(invoiceable_items(), project=project)
        assert [item.milestone.name for item in ready] == ["Kick-off"]
        sign_off = Item.objects.get(milestone__name="Design sign-off")
        assert "due once the phase's events are delivered" in row_problem(sign_off, project)
        rows = phase_figures(project)["phase_rows"]
        assert rows[0].invoiced == rows[0].planned == phases[0].budget
        assert rows[2].planned > 0  # the roll-out's rows, priced
    client = Client()
    client.force_login(get_user_model().objects.get(email="sam.staff@northwind.example"))
    page = client.get(
        reverse(
            "projects:project-tab",
            kwargs={"tenant_slug": "northwind", "pk": project.pk, "tab": "phases"},
        )
    ).content.decode()
    assert "Discovery report" in page and "<svg" in page
    assert "waiting: the phase has no events yet" in page  # Evaluation's report
    timeline = page[page.index("<svg") :]
    assert timeline.index("Not in a phase") < timeline.index("Programme launch briefing")
    assert f"projects/{project.pk}/phases/{phases[3].pk}/delete/" in page


# --- Reminders ----------------------------------------
# The demo shows statements and reminders (issue 16, parts 2 and 3): dunning levels, an account
# on hold, reminders sent at levels 1 and 2 for overdue invoices (each level once), a reminder
# fee as an item, and an aged receivables report with something in every bucket.


def test_the_demo_shows_reminders_holds_and_every_aged_bucket(db):
    from invoicing.models import DunningLevel, Reminder, ReminderHold
    from invoicing.statements import account_statements
    from projects.models import Item
    from reporting.aged import BUCKETS, aged_receivables

    tenant = Tenant.objects.get(slug="northwind")
    with activate(tenant):
        assert list(DunningLevel.objects.values_list("level", "days_after_due")) == [
            (1, 7),
            (2, 30),
            (3, 60),
        ]
        hold = ReminderHold.objects.get()
        assert "attendance sheets" in hold.reason
        assert not Reminder.objects.filter(invoice__billing_account=hold.account).exists()
        levels = set(Reminder.objects.values_list("level", flat=True))
        assert {1, 2} <= levels
        # Each level once per invoice, and some invoices went from one level to the next.
        pairs = list(Reminder.objects.values_list("invoice", "level"))
        assert len(pairs) == len(set(pairs))
        per_invoice = {}
        for invoice, level in pairs:
            per_invoice.setdefault(invoice, []).append(level)
        assert any(len(found) > 1 for found in per_invoice.values())
        assert Item.objects.filter(price_source="dunning").exists()  # the level-2 fee
        report = aged_receivables(as_of=timezone.localdate(), base_currency="GBP")
        assert all(report.base.buckets[key] > 0 for key, _label, _days in BUCKETS), (
            report.base.buckets
        )
        # A statement of the account on hold: its closing balance is what it owes.
        statements = account_statements(
            hold.account,
            date_from=timezone.localdate().replace(month=1, day=1),
            date_to=timezone.localdate(),
        )
        assert statements and statements[0].overdue > 0


# --- Saved views ----------------------------------------
# The demo's staff member finds saved views in the projects and accounts lists (issue 17).


def test_the_demo_staff_member_has_saved_views_that_open(db, client):
    tenant = Tenant.objects.get(slug="northwind")
    with activate(tenant):
        views = list(SavedView.objects.select_related("user").order_by("name"))
    assert [view.name for view in views] == ["Active organisations", "Active projects, money first"]
    staff = views[0].user
    assert staff.username == "sam.staff@northwind.example"
    client.force_login(staff)
    menu = client.get(
        "/northwind/views/", {"list": "projects:project-list", "path": "/northwind/projects/"}
    )
    assert "Active projects, money first" in menu.content.decode()
    page = client.get(
        "/northwind/projects/?status=active&sort=-ordered_value&columns=code&columns=name"
    )
    assert [column.name for column in page.context["table"].columns] == ["code", "name"]
    assert all(row.record.status == "active" for row in page.context["table"].page.object_list)
