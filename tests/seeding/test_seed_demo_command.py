"""`seed_demo` itself, on an empty database: it builds both companies, prints the logins, can be
run again without adding anything, and `--if-empty` leaves an existing database alone."""

from io import StringIO

from django.core.management import call_command

from accounts.models import Account, Contact
from accounts.platform.models import Membership, Role, Tenant
from accounts.platform.tenancy import activate


def test_seed_demo_builds_two_tenants_and_seeding_again_changes_nothing(db):
    """One test, not two, because seeding takes 8 to 40 s: the first run builds both companies
    and prints the logins; a second run (with or without `--if-empty`) adds nothing and leaves
    an existing company's changes alone."""
    from accounts.models import BankAccount

    out = StringIO()
    call_command("seed_demo", stdout=out)
    northwind = Tenant.objects.get(slug="northwind")
    contoso = Tenant.objects.get(slug="contoso")
    with activate(northwind):
        assert Account.objects.filter(kind="organisation").count() >= 20
        assert Account.objects.filter(kind="individual").count() >= 3
        assert Account.objects.filter(parent__isnull=False).exists()
        assert set(Membership.objects.values_list("role", flat=True)) == set(Role.values)
        assert not Account.objects.exclude(contacts__is_primary=True).exists()
        banks = sorted(BankAccount.objects.values_list("iban", flat=True))
        accounts = Account.objects.count()
    with activate(contoso):
        assert 0 < Account.objects.count() < 10
        assert Contact.objects.exists()
    assert "anna.admin@northwind.example" in out.getvalue()
    assert "demo-pass-2026" in out.getvalue()

    Tenant.objects.filter(pk=northwind.pk).update(invoice_phone="+44 20 0000 0000")
    again = StringIO()
    call_command("seed_demo", stdout=again)
    call_command("seed_demo", "--if-empty", stdout=again)
    assert "exists already" in again.getvalue() and "demo data not loaded" in again.getvalue()
    assert "fiona.finance@northwind.example" in again.getvalue()
    northwind.refresh_from_db()
    assert northwind.invoice_phone == "+44 20 0000 0000"  # an existing company is left alone
    with activate(northwind):
        assert sorted(BankAccount.objects.values_list("iban", flat=True)) == banks
        assert Account.objects.count() == accounts
    assert Tenant.objects.count() == 2


def test_seed_demo_if_empty_leaves_an_existing_database_alone(db):
    Tenant.objects.create(name="Existing", slug="existing")
    call_command("seed_demo", "--if-empty", stdout=StringIO())
    assert list(Tenant.objects.values_list("slug", flat=True)) == ["existing"]
