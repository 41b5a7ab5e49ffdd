"""Shared fixtures: two tenants (A and B) with a named user per role, as in production.

`client_for(user)` logs a user in through the test client; requests then go through the real
middleware, so the tenant scope is resolved exactly as in production. Tests that read tenant rows
directly wrap the reads in `activate(tenant)`.
"""

import functools
from dataclasses import dataclass

import freezegun
import pytest
from django.db.models import Model, QuerySet
from django.test import Client

from accounts.platform import rls
from accounts.platform.models import Role
from accounts.platform.tenancy import TenantOwned, activate
from tests.factories import AccountFactory, ContactFactory, MembershipFactory, TenantFactory

# pytest times each test with `_pytest.timing.perf_counter`: freezegun replaced it too, and
# `--durations` (CI prints the slowest tests) reported 1.8 billion seconds for the tests that
# freeze the clock.
freezegun.configure(extend_ignore_list=["_pytest.timing"])


def _outside_any_scope_as_cross_tenant(write, is_tenant_owned):
    @functools.wraps(write)
    def wrapper(self, *args, **kwargs):
        if rls.is_set() or not is_tenant_owned(self):
            return write(self, *args, **kwargs)
        with rls.bypass():
            return write(self, *args, **kwargs)

    return wrapper


@pytest.fixture(autouse=True, scope="session")
def _test_setup_writes_rows_of_any_tenant():
    """Test code writes rows directly, outside any tenant scope (`Model.objects.create(tenant=...)`,
    `bulk_create`, `save()`, `delete()`) and reads them back (`refresh_from_db()`), as the ORM
    lets it. On PostgreSQL row-level security
    would refuse those writes (accounts/platform/rls.py), so here they run as deliberate
    cross-tenant work. Only outside any scope: services refuse to run there, so app code is not
    covered by this, and inside `activate()` every write meets the policy as in production."""
    patched = [
        (TenantOwned, "save_base", lambda row: True),
        (TenantOwned, "delete", lambda row: True),
        (TenantOwned, "refresh_from_db", lambda row: True),
        (QuerySet, "bulk_create", lambda queryset: issubclass(queryset.model, TenantOwned)),
    ]
    originals = [(owner, name, getattr(owner, name)) for owner, name, _ in patched]
    for owner, name, is_tenant_owned in patched:
        original = getattr(Model if owner is TenantOwned else owner, name)
        setattr(owner, name, _outside_any_scope_as_cross_tenant(original, is_tenant_owned))
    yield
    for owner, name, original in originals:
        if owner is TenantOwned:
            delattr(owner, name)
        else:
            setattr(owner, name, original)


@dataclass
class TenantWorld:
    tenant: object
    admin: object
    staff: object
    finance: object
    viewer: object

    def user(self, role: str):
        return getattr(self, role)


def _world(slug, name):
    tenant = TenantFactory(slug=slug, name=name)
    users = {
        role: MembershipFactory(
            tenant=tenant, role=role, user__username=f"{role}@{slug}.example"
        ).user
        for role in (Role.ADMIN, Role.STAFF, Role.FINANCE, Role.VIEWER)
    }
    return TenantWorld(tenant=tenant, **users)


@pytest.fixture
def world_a(db):
    return _world("alpha", "Alpha Training")


@pytest.fixture
def world_b(db):
    return _world("bravo", "Bravo Learning")


@pytest.fixture
def tenant_a(world_a):
    return world_a.tenant


@pytest.fixture
def tenant_b(world_b):
    return world_b.tenant


@pytest.fixture
def client_for():
    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def in_tenant():
    """`with in_tenant(tenant):` reads that tenant's rows in a test."""
    return activate


@pytest.fixture
def account_a(tenant_a):
    account = AccountFactory(tenant=tenant_a, name="Alpha Customer plc")
    ContactFactory(account=account, is_primary=True)
    return account


@pytest.fixture
def account_b(tenant_b):
    account = AccountFactory(tenant=tenant_b, name="Bravo Customer SA")
    ContactFactory(account=account, is_primary=True)
    return account


@pytest.fixture
def postgres_only(transactional_db):
    """Row locks and real concurrency need PostgreSQL; SQLite serialises writers itself."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: run with DATABASE_URL=postgres://... (make test-postgres)")
