"""The demo shows funding sources (issue 13, part 2): a phased programme a grant fund pays 40 %
of, up to a cap, each delivered phase invoiced to the fund and to the customer."""

from io import StringIO

from django.core.management import call_command

from accounts.platform.models import Tenant
from accounts.platform.tenancy import activate


def test_the_demo_has_a_programme_split_between_a_grant_and_the_customer(db):
    from decimal import Decimal

    from invoicing.funder_selectors import customer_share, project_funders
    from invoicing.models import Invoice, LineKind
    from invoicing.selectors import invoiced_net
    from projects.models import FunderKind

    call_command("seed_demo", stdout=StringIO())
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
