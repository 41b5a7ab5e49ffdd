"""accounts.platform.bulk.insert_rows: COPY on PostgreSQL, bulk_create elsewhere; the same rows."""

from decimal import Decimal

from django.db import connection

from accounts.models import Contact
from accounts.platform.bulk import insert_rows
from accounts.platform.tenancy import activate
from agreements.models import TaxRate
from tests.factories import AccountFactory

AWKWARD_NAMES = ["Zoë", "tab\there", "two\nlines", "back\\slash", 'O\'Brien "Jo"', "", "\\N"]


def test_rows_are_written_as_bulk_create_would_write_them(tenant_a):
    account = AccountFactory(tenant=tenant_a)
    with activate(tenant_a):
        insert_rows(
            Contact,
            [
                Contact(
                    tenant=tenant_a,
                    account=account,
                    first_name=name,
                    last_name=f"Learner {n}",
                    email=f"learner{n}@example.com",
                    is_primary=n == 0,
                )
                for n, name in enumerate(AWKWARD_NAMES)
            ],
        )
        insert_rows(
            TaxRate,
            [TaxRate(tenant=tenant_a, code="RED", name="Reduced", percent=Decimal("5.50"))],
        )
        stored = list(Contact.objects.filter(account=account).order_by("last_name"))
        rate = TaxRate.objects.get(code="RED")
    assert [contact.first_name for contact in stored] == AWKWARD_NAMES
    assert [contact.email for contact in stored][:2] == [
        "learner0@example.com",
        "learner1@example.com",
    ]
    assert [contact.is_primary for contact in stored] == [True] + [False] * 6
    assert all(contact.created_at is not None for contact in stored)  # auto_now_add ran
    assert all(contact.tenant_id == tenant_a.pk for contact in stored)
    assert rate.percent == Decimal("5.50")


def test_nothing_to_insert_touches_nothing(tenant_a, django_assert_num_queries):
    with django_assert_num_queries(0):
        insert_rows(Contact, [])
    assert connection.vendor in ("sqlite", "postgresql")


def test_rows_written_with_ids_know_them_and_the_table_goes_on_after_them(tenant_a):
    """`ids=True`: each row knows the id it was stored under (other new rows point at it), and
    a row created afterwards the usual way gets the next id, not one of theirs."""
    account = AccountFactory(tenant=tenant_a)
    with activate(tenant_a):
        rows = [
            Contact(tenant=tenant_a, account=account, first_name="Ada", last_name=f"Row {n}")
            for n in range(3)
        ]
        insert_rows(Contact, rows, ids=True)
        stored = dict(Contact.objects.filter(account=account).values_list("pk", "last_name"))
        after = Contact.objects.create(tenant=tenant_a, account=account, last_name="After")
    assert {row.pk: row.last_name for row in rows} == stored
    assert not any(row._state.adding for row in rows)
    assert after.pk > max(stored)
