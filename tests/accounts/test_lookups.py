"""accounts.platform.lookups: `__in` with a long list of ids is one array parameter on
PostgreSQL, Django's `IN (…)` otherwise; the same rows either way."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account, Contact
from accounts.platform.lookups import LONG
from accounts.platform.tenancy import activate
from tests.factories import AccountFactory


def _contacts(tenant, count):
    account = AccountFactory(tenant=tenant)
    return account, Contact.objects.bulk_create(
        [Contact(tenant=tenant, account=account, last_name=f"Learner {n}") for n in range(count)]
    )


def test_a_long_list_finds_the_same_rows_as_a_short_one(tenant_a):
    account, contacts = _contacts(tenant_a, 5)
    wanted = [contact.pk for contact in contacts[:3]]
    # Ids that match nothing, a repeat and a NULL make the list long; they change nothing.
    padding = [*range(10_000_000, 10_000_000 + LONG), wanted[0], None]
    with activate(tenant_a), CaptureQueriesContext(connection) as queries:
        by_keys = set(Contact.objects.filter(pk__in=wanted + padding).values_list("pk", flat=True))
        by_account = Contact.objects.filter(account_id__in=[account.pk, *padding]).count()
        short = set(Contact.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    assert by_keys == short == set(wanted)
    assert by_account == 5
    long_sql, _, short_sql = (query["sql"] for query in queries.captured_queries)
    if connection.vendor == "postgresql":
        assert '"id" = ANY(' in long_sql and "::bigint[]" in long_sql
    else:
        assert '"id" IN (' in long_sql
    assert '"id" IN (' in short_sql  # a short list keeps its values in the statement


def test_a_long_list_of_words_and_a_subquery_stay_as_django_writes_them(tenant_a):
    account, _contacts_made = _contacts(tenant_a, 2)
    names = [f"Learner {n}" for n in range(LONG + 5)]
    with activate(tenant_a), CaptureQueriesContext(connection) as queries:
        assert Contact.objects.filter(last_name__in=names).count() == 2
        accounts = Account.objects.filter(pk=account.pk).values("pk")
        assert Contact.objects.filter(account__in=accounts).count() == 2
    words_sql, subquery_sql = (query["sql"] for query in queries.captured_queries)
    assert "ANY(" not in words_sql and '"last_name" IN (' in words_sql
    assert "ANY(" not in subquery_sql and "IN (SELECT" in subquery_sql


def test_a_long_list_for_a_smaller_integer_column_takes_values_beyond_its_range(tenant_a):
    """An `integer` column's long list is bound as bigint[]: a number beyond the column's range
    matches nothing, as in an IN list, instead of failing the statement."""
    account = AccountFactory(tenant=tenant_a)
    numbers = [account.number, 2**40, *range(10_000_000, 10_000_000 + LONG)]
    with activate(tenant_a):
        found = list(Account.objects.filter(number__in=numbers).values_list("pk", flat=True))
    assert found == [account.pk]
