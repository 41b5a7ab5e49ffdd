"""The demo of `make run` and `seed_demo`: every rule of the product is visible in it."""

from io import StringIO

from django.core.management import call_command

from accounts.models import Account, Contact
from accounts.platform.models import Membership, Role, Tenant
from accounts.platform.tenancy import activate


def test_seed_demo_builds_two_tenants_and_is_idempotent(db):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=StringIO())
    northwind = Tenant.objects.get(slug="northwind")
    contoso = Tenant.objects.get(slug="contoso")
    with activate(northwind):
        assert Account.objects.filter(kind="organisation").count() >= 20
        assert Account.objects.filter(kind="individual").count() >= 3
        assert Account.objects.filter(parent__isnull=False).exists()
        assert set(Membership.objects.values_list("role", flat=True)) == set(Role.values)
        assert not Account.objects.exclude(contacts__is_primary=True).exists()
    with activate(contoso):
        assert 0 < Account.objects.count() < 10
        assert Contact.objects.exists()
    assert "anna.admin@northwind.example" in out.getvalue()
    assert "demo-pass-2026" in out.getvalue()


def test_seed_demo_if_empty_leaves_an_existing_database_alone(db):
    Tenant.objects.create(name="Existing", slug="existing")
    call_command("seed_demo", "--if-empty", stdout=StringIO())
    assert list(Tenant.objects.values_list("slug", flat=True)) == ["existing"]


def test_seed_demo_builds_the_agreements_demo(db):
    from agreements import selectors
    from agreements.models import (
        Booking,
        BookingDocument,
        DiscountAgreement,
        DiscountScope,
        PrepurchaseUnit,
        PriceList,
        Product,
        TaxRate,
    )

    call_command("seed_demo", stdout=StringIO())
    with activate(Tenant.objects.get(slug="northwind")):
        assert TaxRate.objects.count() >= 2
        assert Product.objects.count() >= 30
        assert Product.objects.filter(package__isnull=False).count() >= 15
        assert PriceList.objects.count() >= 2
        assert Booking.objects.filter(interests__isnull=False).distinct().count() >= 3
        assert BookingDocument.objects.filter(content_type="application/pdf").exists()
        assert set(DiscountAgreement.objects.values_list("scope", flat=True)) == set(
            DiscountScope.values
        )
        prepurchases = list(selectors.prepurchase_list())
        assert {p.unit for p in prepurchases} == set(PrepurchaseUnit.values)
        assert all(p.prepurchased > 0 and p.balance < p.prepurchased for p in prepurchases)


def test_seed_demo_builds_the_projects_demo(db):
    from projects import selectors
    from projects.models import Item, Project, ProjectStatus, Registration

    call_command("seed_demo", stdout=StringIO())
    with activate(Tenant.objects.get(slug="northwind")):
        assert set(Project.objects.values_list("status", flat=True)) == set(ProjectStatus.values)
        assert Registration.objects.count() >= 200
        assert Item.objects.exists()
        assert Project.objects.filter(sub_projects__isnull=False).exists()
        over_budget = [
            p
            for p in Project.objects.exclude(booking=None)
            if any(row["over"] for row in selectors.burn_down(p))
        ]
        assert over_budget, "one project shows a booking past its committed volume"


def test_seed_demo_builds_the_invoicing_demo(db):
    from invoicing.models import Invoice

    call_command("seed_demo", stdout=StringIO())
    with activate(Tenant.objects.get(slug="northwind")):
        statuses = set(Invoice.objects.values_list("status", flat=True))
        assert {"issued", "paid", "draft"} <= statuses
        assert Invoice.objects.filter(kind="credit_note").exists()
        numbers = sorted(
            Invoice.objects.filter(kind="invoice")
            .exclude(status="draft")
            .values_list("sequence_number", flat=True)
        )
        assert numbers == list(range(1, len(numbers) + 1)), "gapless"


def test_seed_demo_gives_every_report_two_years_of_history(db):
    from reporting.custom import Definition, run
    from reporting.selectors import profitability

    call_command("seed_demo", stdout=StringIO())
    with activate(Tenant.objects.get(slug="northwind")):
        rows, base = profitability("month", base_currency="GBP")
        months = {row.label for row in rows}
        assert len(months) >= 18 and min(months) <= "2025-03" and max(months) >= "2026-09"
        assert base.invoiced > 0 and base.cost > 0
        sold = run(Definition(dimensions=["package", "quarter"], measures=["places", "invoiced"]))
        assert len({labels[0] for labels, _, _ in sold.rows}) >= 3


def test_the_demo_shows_the_money_rules(db):
    """A block billed in part, a place paid from a prepurchase at its list price less its
    discount, and a credit note that released what it credited."""
    from invoicing.models import BillingClaim, InvoiceKind, InvoiceLine
    from projects.models import Registration

    call_command("seed_demo", stdout=StringIO())
    with activate(Tenant.objects.get(slug="northwind")):
        block = Registration.objects.filter(learner__isnull=True, places__gte=3).get()
        assert 0 < block.billed_quantity < block.places
        prepaid = Registration.objects.filter(prepurchase__isnull=False, price_source="prepurchase")
        assert prepaid.filter(discount_percent__gt=0).exists()
        credited = InvoiceLine.objects.filter(invoice__kind=InvoiceKind.CREDIT_NOTE).first()
        released = credited.credited_line
        assert not BillingClaim.objects.filter(line=released).exists()
        # The handling fee is billed as the product chosen in the invoicing settings.
        fees = InvoiceLine.objects.filter(kind="handling_fee")
        assert fees.exists() and set(fees.values_list("product_code", flat=True)) == {"ADMIN-FEE"}
