"""The project list's order and the projects' sums read from indexes (issue 18).

On PostgreSQL the indexes are built CONCURRENTLY, outside a transaction: a plain CREATE INDEX
blocks every write to the table while it builds, and DROP INDEX in the same transaction would
keep the registrations table locked for reads too, for as long as a large company's index takes
to build. The new `registration_project` is built under another name, the old one dropped, the
new one renamed. Other databases (SQLite) take Django's own operations.
"""

from django.db import migrations, models

PROJECT_LIST_ORDER = models.Index(
    fields=["tenant", "-start_date", "-code"], name="project_list_order"
)
REGISTRATION_SUMS = models.Index(
    fields=["tenant", "project", "status", "places", "net_amount"], name="registration_project"
)
REGISTRATION_BEFORE = models.Index(
    fields=["tenant", "project", "status"], name="registration_project"
)

POSTGRESQL_FORWARDS = [
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS project_list_order "
    "ON projects_project (tenant_id, start_date DESC, code DESC)",
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS registration_project_next "
    "ON projects_registration (tenant_id, project_id, status, places, net_amount)",
    "DROP INDEX CONCURRENTLY IF EXISTS registration_project",
    "ALTER INDEX registration_project_next RENAME TO registration_project",
]
POSTGRESQL_BACKWARDS = [
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS registration_project_before "
    "ON projects_registration (tenant_id, project_id, status)",
    "DROP INDEX CONCURRENTLY IF EXISTS registration_project",
    "ALTER INDEX registration_project_before RENAME TO registration_project",
    "DROP INDEX CONCURRENTLY IF EXISTS project_list_order",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRESQL_FORWARDS:
            schema_editor.execute(statement)
        return
    project, registration = apps.get_model("projects", "Project"), apps.get_model(
        "projects", "Registration"
    )
    schema_editor.add_index(project, PROJECT_LIST_ORDER)
    schema_editor.remove_index(registration, REGISTRATION_BEFORE)
    schema_editor.add_index(registration, REGISTRATION_SUMS)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRESQL_BACKWARDS:
            schema_editor.execute(statement)
        return
    project, registration = apps.get_model("projects", "Project"), apps.get_model(
        "projects", "Registration"
    )
    schema_editor.remove_index(registration, REGISTRATION_SUMS)
    schema_editor.add_index(registration, REGISTRATION_BEFORE)
    schema_editor.remove_index(project, PROJECT_LIST_ORDER)


class Migration(migrations.Migration):
    atomic = False  # CREATE/DROP INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("projects", "0008_internal_funders"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="registration", name="registration_project"),
                migrations.AddIndex(model_name="project", index=PROJECT_LIST_ORDER),
                migrations.AddIndex(model_name="registration", index=REGISTRATION_SUMS),
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        ),
    ]
