"""Shared fixtures: two tenants (A and B) with a named user per role, as in production.

`client_for(user)` logs a user in through the test client; requests then go through the real
middleware, so the tenant scope is resolved exactly as in production. Tests that read tenant rows
directly wrap the reads in `activate(tenant)`.
"""

from dataclasses import dataclass

import pytest
from django.test import Client

from accounts.platform.models import Role
from accounts.platform.tenancy import activate
from tests.factories import AccountFactory, ContactFactory, MembershipFactory, TenantFactory


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
