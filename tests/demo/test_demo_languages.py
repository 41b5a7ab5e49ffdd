"""The demo shows issue 17: German customers of the (English) demo company get German invoices."""

from io import StringIO

from django.core.management import call_command

from accounts.models import Account
from accounts.platform.models import Tenant
from accounts.platform.tenancy import activate


def test_the_german_customers_invoices_are_written_in_german(db):
    from invoicing.models import Invoice
    from invoicing.pdf import invoice_html

    call_command("seed_demo", stdout=StringIO())
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
