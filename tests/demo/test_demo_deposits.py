"""The demo shows deposits (issue 14, part 4): a 30 % deposit invoiced on its own and partly
deducted by a later issued invoice, with the rest left for the next cohorts."""

from io import StringIO

from django.core.management import call_command

from accounts.platform.models import Tenant
from accounts.platform.tenancy import activate


def test_the_demo_has_a_30_percent_deposit_partly_deducted_on_a_later_invoice(db):
    from invoicing.models import Invoice, InvoiceLine, LineKind
    from invoicing.selectors import cap_room, deposit_summary, invoiced_net

    call_command("seed_demo", stdout=StringIO())
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
