"""Cached profitability figures, fresh after every write (issue 18).

The dashboard and *Reports → Profitability* sum a company's whole history (`selectors.facts`):
hundreds of milliseconds with 100,000 registrations, for figures that change only when someone
writes. So their results are cached, keyed by a **version** per tenant that changes whenever
anything of that tenant is written, and by the day (figures depend on `today`: delivery and
event costs are recognised once a date has passed). The figures themselves keep their one
definition: a cache miss computes them with the same selector; nothing here adds or subtracts.

Why a version bumped by every write rather than by the money services one by one: a figure
depends on registrations, items, events, invoices, lines, credit notes, payments, rates,
projects, products, accounts, regions and users (labels), written by services, bulk runs,
imports, the admin, commands and factories. A list of "services that change money" would go
stale the day someone adds one; a connection-level watch cannot be forgotten. Every INSERT,
UPDATE or DELETE that Django runs on a table other than the bookkeeping tables below marks the
tenant in scope as changed (outside any tenant scope, every tenant); COPY writes end in an
INSERT … SELECT from their staging table, so they are seen as well (`accounts.platform.bulk`).

When the version changes: after the transaction commits (`on_commit`), in one autocommit
statement, so no transaction holds a lock on the version row (two bulk runs do not queue on it,
and it cannot deadlock with the invoice number counters). Until then the transaction that wrote
reads its own figures uncached (`pending`), so a service that writes and then reads sees its
write. A reader that started before a commit may store old figures, but under the old version,
which nobody reads after the bump. The version is a random token, not a counter: a rolled-back
test or a restored database can never bring back a version that is already in the cache.
Entries also expire (`settings.FIGURES_CACHE_SECONDS`) as a backstop.

The cache is Django's default cache: per process (LocMem) unless settings configure a shared
one; each process then computes each version once.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from contextvars import ContextVar

from django.conf import settings
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.backends.signals import connection_created
from django.db.models import Model, QuerySet
from django.db.models.signals import post_migrate, pre_migrate
from django.utils import timezone

from accounts.platform.tenancy import current_tenant

TABLE = "reporting_figuresversion"
EVERY_TENANT = 0  # the scope of writes made outside any tenant (commands, the superuser's admin)
# Writes that change no figure: the version itself, sessions, logins' bookkeeping (axes),
# task rows (a task's progress), the audit trail (always beside a real write).
IGNORED = re.compile(r"^(reporting_figuresversion|django_|axes_|accounts_auditentry|bulk_)")
_WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?([A-Za-z0-9_]+)"?', re.I)


# A login stamps the user's last login: no figure shows it.
_LAST_LOGIN = re.compile(r'^\s*UPDATE\s+"?\w+"?\s+SET\s+"?last_login"?\s*=\s*%s\s+WHERE', re.I)


def _changed_table(sql: str) -> str | None:
    match = _WRITE.match(sql)
    if match is None or IGNORED.match(match.group(1)) or _LAST_LOGIN.match(sql):
        return None
    return match.group(1)


_migrating = False  # `migrate` writes before the version table exists (and nothing is cached)


def _pause(**kwargs):
    global _migrating
    _migrating = True


def _resume(**kwargs):
    global _migrating
    _migrating = False


pre_migrate.connect(_pause, dispatch_uid="reporting.freshness.pause")
post_migrate.connect(_resume, dispatch_uid="reporting.freshness.resume")


def _watch(execute, sql, params, many, context):
    result = execute(sql, params, many, context)
    if not _migrating and isinstance(sql, str) and _changed_table(sql):
        connection = context["connection"]
        tenant = current_tenant()
        _mark(connection, tenant.pk if tenant is not None else EVERY_TENANT)
    return result


def _mark(connection, scope: int) -> None:
    _forget_versions()
    if not connection.in_atomic_block:
        _bump(connection.alias, {scope})
        return
    for bump in _pending(connection):
        bump.scopes.add(scope)
        return
    bump = _Bump(connection.alias)
    bump.scopes.add(scope)
    connection.on_commit(bump)


class _Bump:
    """The transaction's one commit hook: bumps the version of every scope it wrote. One per
    transaction (tests that count the callbacks queued on commit see at most this one, queued
    by their fixtures' first write)."""

    def __init__(self, alias: str):
        self.alias = alias
        self.scopes: set[int] = set()

    def __call__(self):
        _bump(self.alias, self.scopes)


def _pending(connection) -> list[_Bump]:
    return [func for _sids, func, *_robust in connection.run_on_commit if isinstance(func, _Bump)]


def _bump(alias: str, scopes) -> None:
    # Runs in autocommit (after the commit, or for a write outside any transaction), so a failed
    # statement aborts no transaction.
    _forget_versions()
    connection = connections[alias]
    try:
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {TABLE} (scope, token) VALUES (%s, %s) "
                "ON CONFLICT (scope) DO UPDATE SET token = excluded.token",
                [[scope, secrets.token_hex(8)] for scope in sorted(scopes)],
            )
    except DatabaseError:
        # A database migrated back before the table (a migration test): nothing is cached
        # there. Any other failure is raised: a version that cannot change serves stale figures.
        if TABLE in connection.introspection.table_names():
            raise


def install(sender=None, connection=None, **kwargs) -> None:
    """Watch a connection's writes (connected to `connection_created`; idempotent)."""
    if connection is not None and _watch not in connection.execute_wrappers:
        connection.execute_wrappers.append(_watch)


connection_created.connect(install, dispatch_uid="reporting.freshness")


def pending(alias: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether the current transaction wrote something not yet committed."""
    return bool(_pending(connections[alias]))


def version(tenant_id: int) -> str:
    """The tenant's figures version: changes with every committed write of that tenant (and
    with any write made outside a tenant). Read once per request (a page with four cached
    figures asked four times) and again after the request writes; outside a request (tasks,
    commands, tests) every time."""
    seen = _request_versions.get()
    if seen is not None and tenant_id in seen:
        return seen[tenant_id]
    token = _read_version(tenant_id)
    if seen is not None:
        seen[tenant_id] = token
    return token


def _read_version(tenant_id: int) -> str:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(
            f"SELECT scope, token FROM {TABLE} WHERE scope IN (%s, %s)",
            [EVERY_TENANT, tenant_id],
        )
        tokens = dict(cursor.fetchall())
    return f"{tokens.get(EVERY_TENANT, '-')}.{tokens.get(tenant_id, '-')}"


# The versions read during the current request (None outside one): a request sees one version
# of each tenant's figures, as a transaction sees one snapshot.
_request_versions: ContextVar[dict[int, str] | None] = ContextVar("figures_versions", default=None)


def _request_started(**kwargs) -> None:
    _request_versions.set({})


def _request_finished(**kwargs) -> None:
    _request_versions.set(None)


def _forget_versions() -> None:
    seen = _request_versions.get()
    if seen:
        seen.clear()


request_started.connect(_request_started, dispatch_uid="reporting.freshness.request_started")
request_finished.connect(_request_finished, dispatch_uid="reporting.freshness.request_finished")


def cached(name: str, function, **kwargs):
    """`function(**kwargs)`, cached for the active tenant's current version and today's date.
    Computed afresh (and not stored) inside a transaction that has written, or without a
    tenant. Rows key by their model and id, querysets by their SQL (a base queryset narrowed
    to what a user may see keys apart from the whole company's)."""
    tenant = current_tenant()
    if tenant is None or not getattr(settings, "FIGURES_CACHE", True) or pending():
        return function(**kwargs)
    parts = repr((name, sorted((k, _key_part(v)) for k, v in kwargs.items()), timezone.localdate()))
    digest = hashlib.sha256(parts.encode()).hexdigest()[:32]
    key = f"figures:{tenant.pk}:{version(tenant.pk)}:{digest}"
    value = _recent.get(key)
    if value is None:
        value = cache.get(key)
        if value is None:
            value = function(**kwargs)
            cache.set(key, value, getattr(settings, "FIGURES_CACHE_SECONDS", 3600))
        with _recent_lock:
            _recent[key] = value
            while len(_recent) > RECENT:
                _recent.pop(next(iter(_recent)))
    return value


# The last figures this process served, as objects: unpickling the report's thousand rows from
# the cache took longer than rendering a page of them. A key names its version, so an entry is
# never stale, only unused; callers treat the figures as read-only.
RECENT = 32
_recent: dict[str, object] = {}
_recent_lock = threading.Lock()


def _key_part(value):
    if isinstance(value, Model):
        return (value._meta.label, value.pk)
    if isinstance(value, QuerySet):
        return (value.model._meta.label, str(value.query))
    return value
