"""Row-level security on PostgreSQL: the database's own wall behind the ORM scope
(accounts/platform/rls.py). Every test here needs PostgreSQL; on SQLite they are skipped."""

import threading
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, connection, transaction

from accounts.models import Region
from accounts.platform import rls
from accounts.platform.bulk import insert_rows
from accounts.platform.exporting import copy_rows
from accounts.platform.tenancy import TenantOwned, activate, iterate_in, scopes_disabled
from tests.factories import AccountFactory, ProjectFactory

# Global tables: read before any tenant is known (login, the middleware, the task queue).
GLOBAL_TABLES = [
    "accounts_tenant",
    "auth_user",
    "django_session",
    "django_tasks_database_dbtaskresult",
    "axes_accessattempt",
]


@pytest.fixture
def rls_on(db):
    if connection.vendor != "postgresql":
        pytest.skip(
            "row-level security needs PostgreSQL: run with DATABASE_URL=postgres://... "
            "(make test-postgres)"
        )


def scalar(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


@pytest.fixture
def projects(rls_on, tenant_a, tenant_b):
    account_a, account_b = AccountFactory(tenant=tenant_a), AccountFactory(tenant=tenant_b)
    for n in range(3):
        ProjectFactory(account=account_a, code=f"A-{n}")
    for n in range(2):
        ProjectFactory(account=account_b, code=f"B-{n}")
    with scopes_disabled():
        assert scalar("SELECT count(*) FROM projects_project") == 5


def test_the_app_runs_as_a_role_that_row_level_security_binds(rls_on):
    user, is_super, bypasses = (
        scalar("SELECT current_user"),
        scalar("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"),
        scalar("SELECT rolbypassrls FROM pg_roles WHERE rolname = current_user"),
    )
    assert user == settings.DATABASE_APP_ROLE
    assert not is_super and not bypasses
    owner = scalar("SELECT tableowner FROM pg_tables WHERE tablename = 'projects_project'")
    assert owner != user


def test_a_raw_query_without_the_setting_sees_no_rows(projects):
    assert scalar("SELECT count(*) FROM projects_project") == 0
    assert scalar("SELECT count(*) FROM accounts_membership") == 0


def test_with_a_tenants_setting_a_raw_query_sees_only_its_rows(projects, tenant_a, tenant_b):
    with activate(tenant_a):
        assert scalar("SELECT count(*) FROM projects_project") == 3
        assert scalar("SELECT count(DISTINCT tenant_id) FROM projects_project") == 1
        with activate(tenant_b):
            assert scalar("SELECT count(*) FROM projects_project") == 2
        assert scalar("SELECT count(*) FROM projects_project") == 3
    assert scalar("SELECT count(*) FROM projects_project") == 0


def test_another_tenants_rows_cannot_be_written_while_one_is_set(projects, tenant_a, tenant_b):
    with activate(tenant_a):
        with (
            pytest.raises(DatabaseError, match="row-level security"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(
                "INSERT INTO accounts_region (tenant_id, name) VALUES (%s, 'Foreign')",
                [tenant_b.pk],
            )
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            Region.objects.create(tenant=tenant_b, name="Foreign")
        with (  # moving one's own row to another tenant is refused too
            pytest.raises(DatabaseError, match="row-level security"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("UPDATE projects_project SET tenant_id = %s", [tenant_b.pk])
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE projects_project SET name = 'x' WHERE tenant_id = %s", [tenant_b.pk]
            )
            assert cursor.rowcount == 0
            cursor.execute("DELETE FROM projects_project WHERE tenant_id = %s", [tenant_b.pk])
            assert cursor.rowcount == 0
    with activate(tenant_b):
        assert scalar("SELECT count(*) FROM projects_project WHERE name <> 'x'") == 2
        assert scalar("SELECT count(*) FROM accounts_region WHERE name = 'Foreign'") == 0


def test_nothing_can_be_written_outside_any_scope(rls_on, tenant_a):
    with (
        pytest.raises(DatabaseError, match="row-level security"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO accounts_region (tenant_id, name) VALUES (%s, 'Nowhere')", [tenant_a.pk]
        )


def test_the_bulk_writer_cannot_write_another_tenants_rows(rls_on, tenant_a, tenant_b):
    with activate(tenant_a):
        insert_rows(Region, [Region(tenant=tenant_a, name=f"R{n}") for n in range(3)])
        assert Region.objects.count() == 3
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            insert_rows(Region, [Region(tenant=tenant_a, name="ok"), Region(tenant=tenant_b)])
        assert Region.objects.count() == 3


def test_a_copy_export_that_forgets_its_tenant_still_gets_only_that_tenants_rows(
    projects, tenant_a
):
    forgetful = "SELECT code FROM projects_project ORDER BY code"
    assert b"".join(copy_rows(forgetful)).split() == []  # outside a scope: nothing
    with activate(tenant_a):
        lines = b"".join(copy_rows(forgetful)).split()
    assert lines == [b"A-0", b"A-1", b"A-2"]
    # A streamed response is read after the middleware's scope: it iterates inside its own.
    assert b"".join(iterate_in(tenant_a, copy_rows(forgetful))).split() == lines


def test_deliberate_cross_tenant_reads_see_every_tenant(projects, tenant_a):
    with scopes_disabled():
        assert scalar("SELECT count(*) FROM projects_project") == 5
        with activate(tenant_a):  # a scope inside turns the bypass off again, as the ORM's does
            assert scalar("SELECT count(*) FROM projects_project") == 3
        assert scalar("SELECT count(*) FROM projects_project") == 5
    assert scalar("SELECT count(*) FROM projects_project") == 0


def test_the_setting_is_put_back_when_a_scope_closes_even_after_a_failure(projects, tenant_a):
    def setting():
        return scalar("SELECT current_setting('app.tenant_id', true)")

    assert setting() in ("", None)
    with pytest.raises(ZeroDivisionError), activate(tenant_a):
        assert setting() == str(tenant_a.pk)
        raise ZeroDivisionError
    assert setting() == ""
    # A statement fails inside the transaction: the rollback puts the values back.
    with pytest.raises(DatabaseError), transaction.atomic(), activate(tenant_a):
        scalar("SELECT 1 / 0")
    assert setting() == ""
    assert scalar("SELECT count(*) FROM projects_project") == 0


def test_a_connection_opened_inside_a_scope_gets_the_setting(postgres_only, tenant_a):
    ProjectFactory(account=AccountFactory(tenant=tenant_a))
    with activate(tenant_a):
        connection.close()  # as after a lost connection: Django opens a new one for the next query
        assert scalar("SELECT count(*) FROM projects_project") == 1
        assert scalar("SELECT current_user") == settings.DATABASE_APP_ROLE
    assert scalar("SELECT count(*) FROM projects_project") == 0


def test_each_thread_sees_nothing_until_it_activates_a_tenant(postgres_only, tenant_a):
    account = AccountFactory(tenant=tenant_a)
    ProjectFactory(account=account)
    counts = {}

    def work():
        try:
            counts["outside"] = scalar("SELECT count(*) FROM projects_project")
            with activate(tenant_a):
                counts["inside"] = scalar("SELECT count(*) FROM projects_project")
            counts["after"] = scalar("SELECT count(*) FROM projects_project")
        finally:
            connection.close()

    with activate(tenant_a):  # the scope of this thread does not travel to another
        thread = threading.Thread(target=work)
        thread.start()
        thread.join(timeout=30)
    assert counts == {"outside": 0, "inside": 1, "after": 0}


def test_the_owner_runs_migrations_with_every_row_visible(projects):
    with rls.as_owner():
        assert scalar("SELECT current_user") == scalar("SELECT session_user")
        assert scalar("SELECT count(*) FROM projects_project") == 5
    assert scalar("SELECT current_user") == settings.DATABASE_APP_ROLE
    assert scalar("SELECT count(*) FROM projects_project") == 0


def tenant_owned_models():
    return [
        model
        for model in apps.get_models()
        if issubclass(model, TenantOwned) and not model._meta.proxy and model._meta.managed
    ]


@pytest.mark.parametrize("model", tenant_owned_models(), ids=lambda model: model._meta.label_lower)
def test_every_tenant_owned_table_has_its_policy(rls_on, model):
    """A new tenant-owned table needs `rls.enable_operation(table)` in its migration."""
    enabled, forced, policy = rls.table_status(connection, model._meta.db_table)
    assert (enabled, forced, policy) == (True, True, True), (
        f"{model._meta.db_table} has no row-level security: end the migration that creates it "
        f'with rls.enable_operation("{model._meta.db_table}") (accounts/platform/rls.py).'
    )


def test_every_table_with_a_tenant_column_has_its_policy(rls_on):
    missing = [
        table
        for table in rls.tenant_tables(apps)
        if rls.table_status(connection, table) != (True, True, True)
    ]
    assert missing == []
    assert {model._meta.db_table for model in tenant_owned_models()} <= set(rls.tenant_tables(apps))


@pytest.mark.parametrize("table", GLOBAL_TABLES)
def test_global_tables_have_no_policy(rls_on, table):
    assert rls.table_status(connection, table) == (False, False, False)
    assert scalar(f"SELECT count(*) >= 0 FROM {table}")  # readable, and granted


def test_app_code_disables_scopes_only_through_tenancy():
    """django-scopes' own `scopes_disabled()` and `with_scopes_disabled()` lift the ORM scope but
    not row-level security: on PostgreSQL they would see no rows. `tenancy.scopes_disabled()`
    lifts both."""
    root = Path(settings.BASE_DIR)
    offenders = []
    for package in ("accounts", "agreements", "projects", "invoicing", "reporting", "demo"):
        for path in (root / package).rglob("*.py"):
            if "migrations" in path.parts or path == root / "accounts/platform/tenancy.py":
                continue
            text = path.read_text()
            if "django_scopes" in text or "with_scopes_disabled" in text:
                offenders.append(str(path.relative_to(root)))
    assert offenders == []
