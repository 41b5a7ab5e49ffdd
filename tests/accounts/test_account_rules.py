import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts import services
from accounts.models import Account, AccountKind, Contact
from accounts.platform.tenancy import activate
from accounts.services import ACCOUNT_NUMBER_START
from tests.factories import AccountFactory, ContactFactory, RegionFactory


def save(tenant, user, **fields):
    return services.account_save(tenant=tenant, by=user, account=Account(**fields))


def test_account_numbers_are_assigned_per_tenant_in_sequence(world_a, world_b):
    with activate(world_a.tenant):
        first = save(world_a.tenant, world_a.staff, name="One")
        second = save(world_a.tenant, world_a.staff, name="Two")
    with activate(world_b.tenant):
        other = save(world_b.tenant, world_b.staff, name="Other")
    assert (first.number, second.number) == (ACCOUNT_NUMBER_START, ACCOUNT_NUMBER_START + 1)
    assert other.number == ACCOUNT_NUMBER_START


def test_an_account_number_is_unique_within_a_tenant(tenant_a):
    AccountFactory(tenant=tenant_a, number=42)
    with pytest.raises(IntegrityError), transaction.atomic():
        AccountFactory(tenant=tenant_a, number=42)


def test_an_account_keeps_its_number_when_edited(world_a):
    with activate(world_a.tenant):
        account = save(world_a.tenant, world_a.staff, name="One")
        account.name = "One renamed"
        services.account_save(tenant=world_a.tenant, by=world_a.staff, account=account)
        assert Account.objects.get().number == ACCOUNT_NUMBER_START


def test_a_loop_in_the_parent_chain_is_refused(world_a):
    with activate(world_a.tenant):
        top = save(world_a.tenant, world_a.staff, name="Top")
        middle = save(world_a.tenant, world_a.staff, name="Middle", parent=top)
        bottom = save(world_a.tenant, world_a.staff, name="Bottom", parent=middle)
        top.parent = bottom
        with pytest.raises(ValidationError) as error:
            services.account_save(tenant=world_a.tenant, by=world_a.staff, account=top)
        assert "loop" in str(error.value)
        top.refresh_from_db()
        assert top.parent_id is None


def test_an_account_cannot_be_its_own_parent_or_billing_account(world_a):
    with activate(world_a.tenant):
        account = save(world_a.tenant, world_a.staff, name="Self")
        account.parent = account
        with pytest.raises(ValidationError, match="own parent"):
            services.account_save(tenant=world_a.tenant, by=world_a.staff, account=account)
        account.parent = None
        account.billing_account = account
        with pytest.raises(ValidationError, match="billing account empty"):
            services.account_save(tenant=world_a.tenant, by=world_a.staff, account=account)


@pytest.mark.parametrize("field", ["parent", "billing_account", "region"])
def test_links_to_another_tenants_rows_are_refused(world_a, tenant_b, field):
    foreign = (
        RegionFactory(tenant=tenant_b) if field == "region" else AccountFactory(tenant=tenant_b)
    )
    with activate(world_a.tenant), pytest.raises(ValidationError, match="another company"):
        save(world_a.tenant, world_a.staff, name="Mine", **{field: foreign})
    with activate(world_a.tenant):
        assert not Account.objects.exists()


def test_parent_in_another_tenant_is_refused_by_the_model_too(tenant_a, tenant_b):
    foreign = AccountFactory(tenant=tenant_b)
    account = Account(tenant=tenant_a, number=1, name="Mine", parent=foreign)
    with activate(tenant_a), pytest.raises(ValidationError) as error:
        account.full_clean()
    assert "parent" in error.value.message_dict


@pytest.mark.parametrize("code", ["EURO", "XXY", "eur1", "ABC"])
def test_sales_currency_must_be_iso_4217(world_a, code):
    with activate(world_a.tenant), pytest.raises(ValidationError, match="ISO 4217"):
        save(world_a.tenant, world_a.staff, name="Mine", sales_currency=code)


def test_sales_currency_is_normalised_to_capitals(world_a):
    with activate(world_a.tenant):
        assert (
            save(world_a.tenant, world_a.staff, name="X", sales_currency="gbp").sales_currency
            == "GBP"
        )


def test_tags_are_trimmed_and_deduplicated(world_a):
    with activate(world_a.tenant):
        account = save(
            world_a.tenant,
            world_a.staff,
            name="X",
            tags=" public-sector,Key-Account , public-sector,,",
        )
    assert account.tags == "public-sector, Key-Account"
    assert account.tag_list == ["public-sector", "Key-Account"]


def contact(tenant, user, account, **fields):
    return services.contact_save(
        tenant=tenant,
        by=user,
        contact=Contact(
            account=account,
            first_name=fields.pop("first_name", "Ann"),
            last_name=fields.pop("last_name", "Lee"),
            **fields,
        ),
    )


def test_the_first_contact_becomes_primary(world_a):
    account = AccountFactory(tenant=world_a.tenant)
    with activate(world_a.tenant):
        first = contact(world_a.tenant, world_a.staff, account)
        second = contact(world_a.tenant, world_a.staff, account)
    assert first.is_primary and not second.is_primary


def test_making_a_contact_primary_takes_the_flag_from_the_other(world_a):
    account = AccountFactory(tenant=world_a.tenant)
    with activate(world_a.tenant):
        first = contact(world_a.tenant, world_a.staff, account)
        second = contact(world_a.tenant, world_a.staff, account, is_primary=True)
        first.refresh_from_db()
        assert second.is_primary and not first.is_primary
        assert Contact.objects.filter(account=account, is_primary=True).count() == 1


def test_the_only_primary_contact_cannot_be_unticked(world_a):
    account = AccountFactory(tenant=world_a.tenant)
    with activate(world_a.tenant):
        first = contact(world_a.tenant, world_a.staff, account)
        contact(world_a.tenant, world_a.staff, account)
        first.is_primary = False
        services.contact_save(tenant=world_a.tenant, by=world_a.staff, contact=first)
        first.refresh_from_db()
        assert first.is_primary


def test_the_database_allows_one_primary_contact_per_account(tenant_a):
    account = AccountFactory(tenant=tenant_a)
    ContactFactory(account=account, is_primary=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactFactory(account=account, is_primary=True)


def test_deleting_the_primary_contact_promotes_the_longest_standing_one(world_a):
    account = AccountFactory(tenant=world_a.tenant)
    with activate(world_a.tenant):
        primary = contact(world_a.tenant, world_a.staff, account, first_name="P")
        older = contact(world_a.tenant, world_a.staff, account, first_name="Older")
        contact(world_a.tenant, world_a.staff, account, first_name="Newer")
        services.contact_delete(tenant=world_a.tenant, by=world_a.staff, contact=primary)
        assert Contact.objects.get(account=account, is_primary=True) == older


def test_a_contact_cannot_be_added_to_another_tenants_account(world_a, tenant_b):
    foreign = AccountFactory(tenant=tenant_b)
    with activate(world_a.tenant), pytest.raises(ValidationError, match="another company"):
        contact(world_a.tenant, world_a.staff, foreign)


def test_services_refuse_to_write_outside_the_active_tenant(world_a, tenant_b):
    with activate(tenant_b), pytest.raises(RuntimeError, match="Activate the scope"):
        save(world_a.tenant, world_a.staff, name="Wrong scope")


def test_individuals_and_organisations_are_kinds(world_a):
    with activate(world_a.tenant):
        person = save(world_a.tenant, world_a.staff, name="Jo Bloggs", kind=AccountKind.INDIVIDUAL)
    assert not person.is_organisation
    assert person.invoice_recipient == person
