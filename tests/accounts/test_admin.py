"""The Django admin is tenant-aware: tenant admins see and pick only their own rows."""

import pytest
from django.urls import reverse

from accounts.models import Account, Contact
from accounts.platform.middleware import ADMIN_TENANT_SESSION_KEY
from accounts.platform.models import Role
from accounts.platform.tenancy import activate
from tests.factories import ContactFactory, RegionFactory, UserFactory


@pytest.fixture
def admin_b(world_b, client_for):
    """Tenant B's admin, after opening the admin from B's settings page."""
    client = client_for(world_b.admin)
    assert client.get("/bravo/settings/admin/").status_code == 302
    return client


def test_a_tenant_admin_sees_only_its_rows(admin_b, account_a, account_b):
    page = admin_b.get(reverse("admin:accounts_account_changelist")).content.decode()
    assert account_b.name in page and account_a.name not in page
    contacts = admin_b.get(reverse("admin:accounts_contact_changelist"))
    assert contacts.context["cl"].result_count == 1


def test_another_tenants_row_cannot_be_opened_or_deleted(admin_b, account_a):
    change = admin_b.get(reverse("admin:accounts_account_change", args=[account_a.pk]))
    assert change.status_code == 302  # "doesn't exist. Perhaps it was deleted?"
    admin_b.post(reverse("admin:accounts_account_delete", args=[account_a.pk]), {"post": "yes"})
    with activate(account_a.tenant):
        assert Account.objects.filter(pk=account_a.pk).exists()


def test_foreign_key_choices_hold_only_the_tenants_rows(admin_b, account_a, account_b, tenant_a):
    RegionFactory(tenant=tenant_a, name="Alpha Region")
    form = admin_b.get(reverse("admin:accounts_account_add")).context["adminform"].form
    with activate(account_b.tenant):  # the choices are read as the page read them
        assert account_a not in form.fields["parent"].queryset
        assert account_b in form.fields["parent"].queryset
        assert [r.name for r in form.fields["region"].queryset] == []
    assert "tenant" not in form.fields


def test_picking_another_tenants_row_by_id_is_refused(admin_b, account_a, world_b):
    response = admin_b.post(
        reverse("admin:accounts_account_add"),
        {
            "name": "Sneaky",
            "kind": "organisation",
            "parent": account_a.pk,
            "is_active": "on",
            "contacts-TOTAL_FORMS": "0",
            "contacts-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    with activate(world_b.tenant):
        assert not Account.objects.filter(name="Sneaky").exists()


def test_the_tenant_is_set_on_save_and_numbers_come_from_the_service(admin_b, world_b):
    response = admin_b.post(
        reverse("admin:accounts_account_add"),
        {
            "name": "Added In Admin",
            "kind": "organisation",
            "einvoice_format": "facturx",
            "is_active": "on",
            "contacts-TOTAL_FORMS": "1",
            "contacts-INITIAL_FORMS": "0",
            "contacts-0-first_name": "Ada",
            "contacts-0-last_name": "Byron",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with activate(world_b.tenant):
        account = Account.objects.get(name="Added In Admin")
        assert account.tenant == world_b.tenant and account.number == 1000
        assert Contact.objects.get(account=account).is_primary


def test_staff_cannot_use_the_admin(world_a, client_for):
    client = client_for(world_a.staff)
    assert client.get("/alpha/settings/admin/").status_code == 403
    session = client.session
    session[ADMIN_TENANT_SESSION_KEY] = world_a.tenant.pk
    session.save()
    response = client.get(reverse("admin:accounts_account_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_an_admin_without_choosing_a_tenant_gets_the_login_page(world_a, client_for):
    response = client_for(world_a.admin).get(reverse("admin:index"))
    assert response.status_code == 302


def test_a_tenant_admin_cannot_manage_tenants_or_users(admin_b):
    assert admin_b.get(reverse("admin:accounts_tenant_changelist")).status_code == 403
    assert admin_b.get(reverse("admin:auth_user_changelist")).status_code == 403


def test_a_superuser_sees_every_tenant_with_a_tenant_filter(account_a, account_b, client_for):
    root = UserFactory(is_superuser=True, is_staff=True)
    client = client_for(root)
    response = client.get(reverse("admin:accounts_account_changelist"))
    assert response.context["cl"].result_count == 2
    assert "By tenant" in response.content.decode()
    filtered = client.get(
        reverse("admin:accounts_account_changelist"), {"tenant__id__exact": account_a.tenant_id}
    )
    assert filtered.context["cl"].result_count == 1


def test_the_last_admin_cannot_be_removed_in_the_admin(admin_b, world_b):
    with activate(world_b.tenant):
        from accounts.platform.models import Membership

        membership = Membership.objects.get(user=world_b.admin)
    admin_b.post(reverse("admin:accounts_membership_delete", args=[membership.pk]), {"post": "yes"})
    with activate(world_b.tenant):
        assert Membership.objects.filter(pk=membership.pk, role=Role.ADMIN).exists()


@pytest.mark.parametrize("model", ["membership", "region", "account", "contact", "sequence"])
def test_every_tenant_model_has_a_working_admin_page(admin_b, account_b, model):
    ContactFactory(account=account_b)
    assert admin_b.get(reverse(f"admin:accounts_{model}_changelist")).status_code == 200
