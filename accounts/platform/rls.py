"""PostgreSQL row-level security: the database's own wall behind the ORM scope (DESIGN.md,
"Tenancy"). Nothing here runs on SQLite.

The policy
    Every tenant-owned table (every table with a `tenant_id` column) has row-level security
    enabled *and forced* (so its owner is subject too) and one policy, `tenant_isolation`: a row
    is visible, and may be written, when its `tenant_id` equals the connection's `app.tenant_id`
    setting, or when `app.bypass` is 'on'. With neither set, a query sees no row and can write
    none. So raw SQL (COPY exports, bulk writers, a hand-written report) that forgets its
    `tenant_id = %s` still sees only the active tenant's rows, and outside any scope nothing.

The settings, per connection
    `activate(tenant)` sets `app.tenant_id`; `scopes_disabled()` (the deliberate cross-tenant
    work: a user's memberships at login and in the middleware, the superuser's admin) sets
    `app.bypass`. They are session settings (`set_config(..., false)`), not `SET LOCAL`, because
    `activate()` is used in and out of transactions (the middleware's scope spans the view's
    transactions and the template rendering; tasks, commands and tests open their own): each
    block puts the previous values back when it exits, and a block that exits inside a failed
    transaction leaves that to the rollback, which restores them itself. The state lives in a
    ContextVar (like django-scopes' own), is written to the thread's open PostgreSQL
    connections when it changes, and to any connection opened later, when it opens. Django
    keeps one connection per thread, so a thread (a test's worker, a task runner) sees nothing
    until it activates a tenant itself.

The roles
    The tables belong to the role that runs `migrate` (the owner: `postgres` in development and
    CI). The app's queries run as `DATABASE_APP_ROLE` (default `frameworks_app`): NOSUPERUSER,
    NOBYPASSRLS, not the owner, with SELECT/INSERT/UPDATE/DELETE on the tables and nothing else.
    Every app connection does `SET ROLE` to it; `migrate` and `flush` (accounts/management/
    commands) run as the connecting user instead, and `migrate` then creates the role if it is
    missing (NOLOGIN) and grants it the privileges on every table. In production the app may
    instead log in as that role itself (a LOGIN role, its own DATABASE_URL) while migrations log
    in as the owner: `SET ROLE` to oneself is a no-op. DATABASE_APP_ROLE=none turns the switch
    off (the app then runs as the URL's user: a superuser bypasses every policy).

Future tables
    A migration that creates a tenant-owned table ends with
    `rls.enable_operation("app_table")`; tests/accounts/test_rls.py fails for a table without it.
"""

from __future__ import annotations

import contextlib
import logging
from contextvars import ContextVar
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections, migrations
from django.db.backends.base.base import NO_DB_ALIAS
from django.db.backends.signals import connection_created

__all__ = [
    "POLICY_NAME",
    "app_role",
    "as_owner",
    "bypass",
    "disable",
    "enable",
    "enable_operation",
    "grant_app_role",
    "is_set",
    "table_status",
    "tenant",
    "tenant_tables",
]

logger = logging.getLogger(__name__)

POLICY_NAME = "tenant_isolation"
DEFAULT_APP_ROLE = "frameworks_app"

# Each setting is read once per query (a scalar subquery is an InitPlan), not once per row.
_ROW_VISIBLE = (
    "tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::bigint) "
    "OR (SELECT current_setting('app.bypass', true) = 'on')"
)


class _State(NamedTuple):
    tenant_id: int | None = None
    bypass: bool = False


_NOTHING = _State()
_state: ContextVar[_State] = ContextVar("rls_state", default=_NOTHING)  # a tuple: immutable
_owner: ContextVar[bool] = ContextVar("rls_owner", default=False)


def app_role() -> str | None:
    """The role the app's queries run as, or None when the switch is off."""
    role = getattr(settings, "DATABASE_APP_ROLE", DEFAULT_APP_ROLE)
    return None if not role or role.lower() == "none" else role


# --- The tenant and the bypass ------------------------------------------------------------------


def is_set() -> bool:
    """Whether a tenant or the bypass is set (in this thread and context)."""
    return _state.get() != _NOTHING


@contextlib.contextmanager
def tenant(tenant_id: int):
    """Rows of `tenant_id` only (what `activate()` adds to the ORM scope)."""
    with _changed(_State(tenant_id=tenant_id, bypass=False)):
        yield


@contextlib.contextmanager
def bypass():
    """Every tenant's rows (what `scopes_disabled()` adds): deliberate cross-tenant work only."""
    with _changed(_state.get()._replace(bypass=True)):
        yield


@contextlib.contextmanager
def as_owner(using: str = DEFAULT_DB_ALIAS):
    """Run as the connecting user (the tables' owner), every row visible: migrate and flush."""
    owner_token = _owner.set(True)
    state_token = _state.set(_state.get()._replace(bypass=True))
    try:
        _write_open(only=using)
        yield
    finally:
        _state.reset(state_token)
        _owner.reset(owner_token)
        _write_open(only=using)


@contextlib.contextmanager
def _changed(state: _State):
    token = _state.set(state)
    try:
        _write_open()
        yield
    finally:
        _state.reset(token)
        _write_open()


def _write_open(only: str | None = None) -> None:
    """Write the current state to this thread's open PostgreSQL connections."""
    for connection in connections.all(initialized_only=True):
        if only is not None and connection.alias != only:
            continue
        if connection.vendor != "postgresql" or connection.connection is None:
            continue  # not open: `_on_connection_created` writes the state when it opens
        if _in_failed_transaction(connection):
            # Nothing can run until the rollback, which puts back the values the failed
            # transaction (or savepoint) started with: the ones the enclosing blocks expect.
            continue
        try:
            _write(connection)
        except Exception:
            # A connection whose settings are unknown must not serve another query.
            logger.warning("Closing a connection whose tenant setting could not be written.")
            connection.close()
            raise


def _in_failed_transaction(connection) -> bool:
    from psycopg.pq import TransactionStatus

    raw = connection.connection
    return raw.closed or raw.info.transaction_status == TransactionStatus.INERROR


def _write(connection) -> None:
    state = _state.get()
    role = None if _owner.get() else app_role()
    # The driver's own cursor: plumbing, not the app's queries (not logged, not counted).
    with connection.connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('role', %s, false), set_config('app.tenant_id', %s, false), "
            "set_config('app.bypass', %s, false)",
            [
                role or "none",
                "" if state.tenant_id is None else str(int(state.tenant_id)),
                "on" if state.bypass else "off",
            ],
        )


def _on_connection_created(sender, connection, **kwargs):
    if connection.vendor != "postgresql" or connection.alias == NO_DB_ALIAS:
        return  # the maintenance connection that creates and drops test databases
    try:
        _write(connection)
    except Exception as error:
        connection.close()
        role = app_role()
        if role and f'role "{role}" does not exist' in str(error):
            raise ImproperlyConfigured(
                f'The app runs as the PostgreSQL role "{role}" (DATABASE_APP_ROLE), which does '
                "not exist yet: run `manage.py migrate` as the tables' owner (it creates the role "
                "and grants it the tables), or create it as the README says."
            ) from error
        raise


connection_created.connect(_on_connection_created, dispatch_uid="accounts.platform.rls")


# --- The app's role -----------------------------------------------------------------------------


def grant_app_role(connection) -> None:
    """Create the app's role if it is missing and grant it the rows of every table (idempotent;
    `migrate` runs it as the owner after every migration run)."""
    role = app_role()
    if connection.vendor != "postgresql" or role is None:
        return
    quoted = connection.ops.quote_name(role)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            try:
                cursor.execute(
                    f"DO $$ BEGIN CREATE ROLE {quoted} NOLOGIN NOSUPERUSER NOBYPASSRLS "
                    "NOCREATEDB NOCREATEROLE; EXCEPTION WHEN duplicate_object OR unique_violation "
                    "THEN NULL; END $$"
                )
            except Exception as error:
                raise ImproperlyConfigured(
                    f'Could not create the PostgreSQL role "{role}" (DATABASE_APP_ROLE): create '
                    f"it as a superuser (CREATE ROLE {quoted} NOSUPERUSER NOBYPASSRLS ...) and "
                    "run migrate again."
                ) from error
        cursor.execute("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone()[0]:
            raise ImproperlyConfigured(
                f'The app\'s role "{role}" is a superuser or bypasses row-level security: '
                f"ALTER ROLE {quoted} NOSUPERUSER NOBYPASSRLS."
            )
        cursor.execute("SELECT current_schema()")
        schema = connection.ops.quote_name(cursor.fetchone()[0])
        cursor.execute(f"GRANT USAGE ON SCHEMA {schema} TO {quoted}")
        cursor.execute(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {quoted}"
        )
        cursor.execute(
            f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {schema} TO {quoted}"
        )


# --- Policies -----------------------------------------------------------------------------------


def tenant_tables(apps) -> list[str]:
    """The tables of every concrete model with a `tenant_id` column (TenantOwned and any other),
    from an app registry: the project's or a migration's historical one."""
    tables = set()
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        if any(field.column == "tenant_id" for field in meta.local_concrete_fields):
            tables.add(meta.db_table)
    return sorted(tables)


def enable(schema_editor, table: str) -> None:
    """Force row-level security on `table` with the tenant policy (PostgreSQL; idempotent)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    quoted = schema_editor.quote_name(table)
    policy = schema_editor.quote_name(POLICY_NAME)
    schema_editor.execute(f"ALTER TABLE {quoted} ENABLE ROW LEVEL SECURITY")
    schema_editor.execute(f"ALTER TABLE {quoted} FORCE ROW LEVEL SECURITY")
    schema_editor.execute(f"DROP POLICY IF EXISTS {policy} ON {quoted}")
    schema_editor.execute(
        f"CREATE POLICY {policy} ON {quoted} USING ({_ROW_VISIBLE}) WITH CHECK ({_ROW_VISIBLE})"
    )


def disable(schema_editor, table: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    quoted = schema_editor.quote_name(table)
    schema_editor.execute(
        f"DROP POLICY IF EXISTS {schema_editor.quote_name(POLICY_NAME)} ON {quoted}"
    )
    schema_editor.execute(f"ALTER TABLE {quoted} NO FORCE ROW LEVEL SECURITY")
    schema_editor.execute(f"ALTER TABLE {quoted} DISABLE ROW LEVEL SECURITY")


def enable_operation(*tables: str) -> migrations.RunPython:
    """The migration operation for new tenant-owned tables: `rls.enable_operation("app_model")`
    after the CreateModel (does nothing on SQLite)."""

    def forwards(apps, schema_editor):
        for table in tables:
            enable(schema_editor, table)

    def backwards(apps, schema_editor):
        for table in tables:
            disable(schema_editor, table)

    return migrations.RunPython(forwards, backwards)


def table_status(connection, table: str) -> tuple[bool, bool, bool]:
    """(row security enabled, forced, tenant policy present) of `table`."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relrowsecurity, c.relforcerowsecurity, EXISTS ("
            "  SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = %s) "
            "FROM pg_class c WHERE c.oid = to_regclass(%s)",
            [POLICY_NAME, connection.ops.quote_name(table)],
        )
        row = cursor.fetchone()
    return tuple(row) if row else (False, False, False)
