"""`seed_demo` itself, on an empty database: it builds both companies, prints the logins, can be
run again without adding anything, and `--if-empty` leaves an existing database alone."""

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


def test_seeding_again_adds_no_second_bank_account_or_legal_change(db):
    from accounts.models import BankAccount

    call_command("seed_demo", stdout=StringIO())
    northwind = Tenant.objects.get(slug="northwind")
    with activate(northwind):
        banks = sorted(BankAccount.objects.values_list("iban", flat=True))
    Tenant.objects.filter(pk=northwind.pk).update(invoice_phone="+44 20 0000 0000")
    out = StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", "--if-empty", stdout=out)
    assert "exists already" in out.getvalue() and "demo data not loaded" in out.getvalue()
    assert "fiona.finance@northwind.example" in out.getvalue()
    northwind.refresh_from_db()
    assert northwind.invoice_phone == "+44 20 0000 0000"  # an existing company is left alone
    with activate(northwind):
        assert sorted(BankAccount.objects.values_list("iban", flat=True)) == banks
