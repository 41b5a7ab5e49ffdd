from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Account, Contact, Membership, Role, Tenant
from accounts.tenancy import activate


def test_create_tenant_makes_the_company_and_its_first_admin(db):
    out = StringIO()
    call_command(
        "create_tenant",
        "--name",
        "Acme Training",
        "--slug",
        "acme",
        "--admin-email",
        "Boss@Acme.example",
        "--currency",
        "gbp",
        stdout=out,
    )
    tenant = Tenant.objects.get(slug="acme")
    assert tenant.base_currency == "GBP"
    with activate(tenant):
        membership = Membership.objects.select_related("user").get()
    assert membership.role == Role.ADMIN and membership.user.email == "boss@acme.example"
    printed_password = out.getvalue().split("Password: ")[1].split()[0]
    assert membership.user.check_password(printed_password)


def test_create_tenant_explains_a_bad_currency(db):
    with pytest.raises(CommandError, match="ISO 4217"):
        call_command(
            "create_tenant",
            "--name",
            "X",
            "--slug",
            "x",
            "--admin-email",
            "x@example.com",
            "--currency",
            "XYZ",
            stdout=StringIO(),
        )
    assert not Tenant.objects.exists()


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


def test_add_member_runs_in_the_named_tenant_and_invites_a_new_person(
    world_a, django_capture_on_commit_callbacks
):
    from django.core import mail

    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "add_member",
            "--tenant",
            "alpha",
            "--email",
            "new@alpha.example",
            "--role",
            "finance",
            stdout=out,
        )
    with activate(world_a.tenant):
        assert Membership.objects.get(user__email="new@alpha.example").role == Role.FINANCE
    assert mail.outbox[0].to == ["new@alpha.example"]
    assert "invitation queued" in out.getvalue()


def test_a_tenant_command_names_the_known_companies_when_the_slug_is_wrong(world_a):
    with pytest.raises(CommandError, match="Known: alpha"):
        call_command(
            "add_member", "--tenant", "nope", "--email", "x@example.com", stdout=StringIO()
        )


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
