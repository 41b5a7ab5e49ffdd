"""Gapless per-tenant numbers (accounts, projects, invoices): a counter row locked in the
transaction that uses it, so a rollback gives the number back."""

from __future__ import annotations

from django.db import transaction

from accounts.platform.models import Sequence, Tenant


def next_number(*, tenant: Tenant, key: str, start: int = 1) -> int:
    """The next number of a per-tenant counter, gapless (see `next_numbers`)."""
    return next_numbers(tenant=tenant, key=key, count=1, start=start)[0]


def next_numbers(*, tenant: Tenant, key: str, count: int, start: int = 1) -> range:
    """The next `count` numbers of a per-tenant counter, gapless.

    The counter row is locked until the caller's transaction ends (on SQLite the IMMEDIATE
    transaction holds the write lock), so concurrent callers queue; a rollback gives the numbers
    back. Call it inside the transaction that stores the numbers, and use every one of them.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_numbers must run inside the transaction that uses them.")
    last = _advance(tenant, key, count)
    if last is None:  # the tenant's first number of this kind
        Sequence.objects.get_or_create(tenant=tenant, key=key, defaults={"last_value": start - 1})
        last = _advance(tenant, key, count)
    return range(last - count + 1, last + 1)


def _advance(tenant: Tenant, key: str, count: int) -> int | None:
    """Add `count` to the counter and return it, in one statement that locks the row."""
    meta = Sequence._meta
    quote = transaction.get_connection().ops.quote_name
    last_value, tenant_column, key_column = (
        quote(meta.get_field(name).column) for name in ("last_value", "tenant", "key")
    )
    with transaction.get_connection().cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(meta.db_table)} SET {last_value} = {last_value} + %s "
            f"WHERE {tenant_column} = %s AND {key_column} = %s RETURNING {last_value}",
            [count, tenant.pk, key],
        )
        row = cursor.fetchone()
    return row[0] if row else None
