"""Row-level security on every tenant-owned table that exists at this point (PostgreSQL only;
nothing happens on SQLite). The tables are derived from the models: every concrete model with a
`tenant_id` column. A later tenant-owned table gets `rls.enable_operation(table)` in the
migration that creates it (tests/accounts/test_rls.py checks every one)."""

from django.db import migrations

from accounts.platform import rls


def enable(apps, schema_editor):
    for table in rls.tenant_tables(apps):
        rls.enable(schema_editor, table)


def disable(apps, schema_editor):
    for table in rls.tenant_tables(apps):
        rls.disable(schema_editor, table)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_tenant_logo"),
        ("agreements", "0001_initial"),
        ("projects", "0002_billed_quantity"),
        ("invoicing", "0006_run_heartbeat"),
        ("reporting", "0002_savedreport"),
    ]

    operations = [migrations.RunPython(enable, disable)]
