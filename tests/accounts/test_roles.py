import pytest
from django.urls import reverse

from accounts.models import Account
from accounts.platform.models import Membership, Role
from accounts.platform.permissions import ROLE_PERMISSIONS, role_allows
from accounts.platform.tenancy import activate
from tests.urls import READ_ONLY, tenant_rows, tenant_urls


@pytest.fixture
def rows(world_a):
    rows = tenant_rows(world_a)
    rows["account"].name = "Original Name"
    rows["account"].save()
    return rows


def _url(name, kwargs):
    return reverse(name, kwargs={"tenant_slug": "alpha", **kwargs})


def test_a_viewer_can_post_nothing(rows, world_a, client_for):
    client = client_for(world_a.viewer)
    for name, kwargs in tenant_urls(rows).items():
        if name in READ_ONLY:
            continue
        response = client.post(_url(name, kwargs), {"name": "Changed", "kind": "organisation"})
        assert response.status_code == 403, f"POST {name}: {response.status_code}"
    with activate(world_a.tenant):
        assert Account.objects.get().name == "Original Name"
        assert rows["account"].contacts.count() == 1


def test_a_viewer_can_read(rows, world_a, client_for):
    client = client_for(world_a.viewer)
    assert client.get(_url("accounts:account-list", {})).status_code == 200
    assert (
        client.get(_url("accounts:account-detail", {"pk": rows["account"].pk})).status_code == 200
    )


def test_a_viewer_is_not_offered_edit_buttons(rows, world_a, client_for):
    page = client_for(world_a.viewer).get(
        _url("accounts:account-detail", {"pk": rows["account"].pk})
    )
    assert b"New account" not in page.content
    assert (
        reverse(
            "accounts:account-edit", kwargs={"tenant_slug": "alpha", "pk": rows["account"].pk}
        ).encode()
        not in page.content
    )


@pytest.mark.parametrize("role", [Role.STAFF, Role.FINANCE, Role.VIEWER])
def test_only_an_admin_manages_members_and_settings(rows, world_a, client_for, role):
    client = client_for(world_a.user(role))
    for name in ("accounts:members", "accounts:settings", "accounts:admin-switch"):
        assert client.get(_url(name, {})).status_code == 403
    response = client.post(
        _url("accounts:members", {}), {"email": "intruder@example.com", "role": Role.ADMIN}
    )
    assert response.status_code == 403
    response = client.post(
        _url("accounts:member-role", {"pk": rows["membership"].pk}), {"role": Role.ADMIN}
    )
    assert response.status_code == 403
    with activate(world_a.tenant):
        assert not Membership.objects.filter(user__email="intruder@example.com").exists()
        assert Membership.objects.get(pk=rows["membership"].pk).role == Role.STAFF


def test_finance_cannot_edit_customers(rows, world_a, client_for):
    client = client_for(world_a.finance)
    response = client.post(
        _url("accounts:account-create", {}), {"name": "X", "kind": "organisation"}
    )
    assert response.status_code == 403


def test_staff_can_edit_customers(rows, world_a, client_for):
    client = client_for(world_a.staff)
    response = client.post(
        _url("accounts:account-create", {}),
        {"name": "New Customer", "kind": "organisation", "is_active": "on"},
    )
    assert response.status_code == 302


def test_roles_are_data():
    assert set(ROLE_PERMISSIONS) == set(Role.values)
    assert role_allows(Role.ADMIN, "manage_tenant")
    assert not role_allows(Role.STAFF, "manage_tenant")
    assert not role_allows(Role.VIEWER, "edit_customers")
    assert not role_allows("nonsense", "view")
