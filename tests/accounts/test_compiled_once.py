"""accounts.platform.compiled_once: a read's SQL is compiled once per scope and shape, each call
runs it with its own ids and gets the same rows as the queryset would give (issue 18)."""

from unittest import mock

import pytest
from django.db.models.sql.compiler import SQLCompiler

from accounts.models import Contact
from accounts.platform.compiled_once import compiled_once
from accounts.platform.tenancy import activate
from tests.factories import AccountFactory, ContactFactory


@compiled_once(slots=("account_id",))
def contacts_of(*, account_id, named):
    return (
        Contact.objects.filter(account_id=account_id, last_name__startswith=named)
        .select_related("account")
        .order_by("last_name")
    )


@compiled_once(slots=("account_id",))
def contacts_of_the_next_account(*, account_id):
    return Contact.objects.filter(account_id=account_id + 1)


@compiled_once(slots=("pk",))
def contact(*, pk):
    return Contact.objects.filter(pk=pk)


@pytest.fixture(autouse=True)
def _fresh():
    for read in (contacts_of, contacts_of_the_next_account, contact):
        read.cache_clear()


@pytest.fixture
def compiles():
    with mock.patch.object(SQLCompiler, "as_sql", autospec=True, side_effect=SQLCompiler.as_sql):
        yield SQLCompiler.as_sql


def test_compiled_once_then_run_with_each_calls_ids(tenant_a, compiles, django_assert_num_queries):
    north, south = AccountFactory(tenant=tenant_a), AccountFactory(tenant=tenant_a)
    ContactFactory(account=north, last_name="Zeller")
    adams = ContactFactory(account=north, last_name="Adams")
    berg = ContactFactory(account=south, last_name="Berg")
    young = ContactFactory(account=south, last_name="Young")
    with activate(tenant_a):
        zeller = Contact.objects.get(last_name="Zeller")
        before = compiles.call_count
        assert contacts_of(account_id=north.pk, named="") == [adams, zeller]
        assert compiles.call_count - before == 2  # the two sets of stand-ins, nothing more
        with django_assert_num_queries(1):
            rows = contacts_of(account_id=south.pk, named="")
        assert rows == [berg, young] and rows[0].account.name == south.name  # select_related
        assert compiles.call_count - before == 2  # run as kept
        assert contacts_of(account_id=north.pk, named="A") == [adams]  # another shape
        assert compiles.call_count - before == 4


def test_each_company_has_its_own_statement(tenant_a, tenant_b):
    ours, theirs = AccountFactory(tenant=tenant_a), AccountFactory(tenant=tenant_b)
    mine, other = ContactFactory(account=ours), ContactFactory(account=theirs)
    for _twice in range(2):
        with activate(tenant_a):
            assert contact(pk=mine.pk) == [mine]
            assert contact(pk=other.pk) == []
        with activate(tenant_b):
            assert contact(pk=other.pk) == [other]
            assert contact(pk=mine.pk) == []
    assert contact.cache_info().currsize == 2


def test_arithmetic_on_an_id_is_not_kept_and_still_answers(tenant_a, compiles):
    first, second = AccountFactory(tenant=tenant_a), AccountFactory(tenant=tenant_a)
    person = ContactFactory(account=second)
    assert second.pk == first.pk + 1
    before = compiles.call_count
    with activate(tenant_a):
        assert contacts_of_the_next_account(account_id=first.pk) == [person]
        assert contacts_of_the_next_account(account_id=second.pk) == []
    assert compiles.call_count - before == 2 + 2  # each call afresh, after the refused two


def test_an_id_no_integer_column_holds_matches_nothing(tenant_a):
    person = ContactFactory(account=AccountFactory(tenant=tenant_a))
    with activate(tenant_a):
        assert contact(pk=person.pk) == [person]
        assert contact(pk=10**20) == []  # compiled afresh: Django decides, nothing fails


def test_outside_a_scope_that_can_be_a_key_it_compiles_afresh(tenant_a, compiles):
    from django_scopes import scope  # a list of tenants: what no key can hold

    person = ContactFactory(account=AccountFactory(tenant=tenant_a))
    before = compiles.call_count
    with activate(tenant_a), scope(tenant=[tenant_a.pk]):
        assert contact(pk=person.pk) == [person]
        assert contact(pk=person.pk) == [person]
    assert compiles.call_count - before == 2 and contact.cache_info().currsize == 0


def test_outside_every_scope_it_raises_as_the_queryset_would(tenant_a):
    from django_scopes import ScopeError

    person = ContactFactory(account=AccountFactory(tenant=tenant_a))
    for _twice in range(2):
        with pytest.raises(ScopeError):
            contact(pk=person.pk)
