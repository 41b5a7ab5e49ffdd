"""accounts.platform.built_once: a selector's queryset is built once per tenant scope and
arguments, and each caller gets a copy of its own (issue 18)."""

from unittest import mock

import pytest
from django.db.models import Count
from django_scopes import scope  # a list of tenants: what no key can hold

from accounts.models import Account
from accounts.platform.built_once import built_once_per_scope
from accounts.platform.tenancy import activate, scopes_disabled
from projects import selectors as project_selectors
from tests.factories import AccountFactory, ProjectFactory

builds = mock.Mock()


@built_once_per_scope
def accounts_named(*, prefix: str):
    builds(prefix)
    return Account.objects.filter(name__startswith=prefix).annotate(n=Count("contacts"))


@pytest.fixture(autouse=True)
def _fresh():
    accounts_named.cache_clear()
    builds.reset_mock()


def test_built_once_per_scope_and_arguments_each_caller_a_copy(tenant_a, tenant_b):
    alpha = AccountFactory(tenant=tenant_a, name="North plc")
    AccountFactory(tenant=tenant_a, name="South plc")
    bravo = AccountFactory(tenant=tenant_b, name="North SA")
    with activate(tenant_a):
        first = accounts_named(prefix="North")
        assert list(first.filter(pk=-1)) == []  # a caller narrows its own copy
        again = accounts_named(prefix="North")
        assert again is not first and list(again) == [alpha]
        assert [a.name for a in accounts_named(prefix="South")] == ["South plc"]
    with activate(tenant_b):
        assert list(accounts_named(prefix="North")) == [bravo]
    assert [call.args for call in builds.call_args_list] == [("North",), ("South",), ("North",)]


def test_a_scope_that_cannot_be_a_key_builds_afresh(tenant_a, tenant_b):
    AccountFactory(tenant=tenant_a, name="North plc")
    AccountFactory(tenant=tenant_b, name="North SA")
    with scope(tenant=[tenant_a.pk, tenant_b.pk]), scopes_disabled():
        names = {a.name for a in accounts_named(prefix="North")}
        accounts_named(prefix="North")
    assert names == {"North plc", "North SA"}
    assert builds.call_count == 2


def test_the_project_list_of_one_company_never_shows_another(tenant_a, tenant_b):
    project_selectors.project_list.cache_clear()
    mine = ProjectFactory(account=AccountFactory(tenant=tenant_a))
    theirs = ProjectFactory(account=AccountFactory(tenant=tenant_b))
    for _twice in range(2):
        with activate(tenant_a):
            assert list(project_selectors.project_list()) == [mine]
        with activate(tenant_b):
            assert list(project_selectors.project_list()) == [theirs]
