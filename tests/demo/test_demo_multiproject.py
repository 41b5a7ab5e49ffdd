"""The demo shows one invoice across projects (issue 13, part 3): two projects of one billing
account invoiced together, each line saying its project, and more of both waiting on the
account's review page."""

from io import StringIO

from django.core.management import call_command

from accounts.platform.models import Tenant
from accounts.platform.tenancy import activate


def test_the_demo_has_an_issued_invoice_across_two_projects(db, client):
    from invoicing.models import Invoice, InvoiceLine
    from invoicing.selectors import invoiced_net

    call_command("seed_demo", stdout=StringIO())
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
