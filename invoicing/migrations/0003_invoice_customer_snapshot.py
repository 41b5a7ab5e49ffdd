"""The customer's name and number and the project's code join the snapshot frozen at issue, so
exports read the invoice, never the live rows. Issued invoices and credit notes get them from the
rows as they are now (the best there is for documents issued before this)."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def backfill(apps, schema_editor):
    from django_scopes import scopes_disabled

    Invoice = apps.get_model("invoicing", "Invoice")
    Project = apps.get_model("projects", "Project")
    project = Project.objects.filter(pk=OuterRef("project_id"))
    with scopes_disabled():
        Invoice.objects.exclude(status="draft").update(
            customer_name=Subquery(project.values("account__name")[:1]),
            customer_number=Subquery(project.values("account__number")[:1]),
            project_code=Subquery(project.values("code")[:1]),
        )


class Migration(migrations.Migration):
    dependencies = [
        ("invoicing", "0003_line_tax_amount"),
        ("projects", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="invoice",
            name="customer_name",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="invoice",
            name="customer_number",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="invoice",
            name="project_code",
            field=models.CharField(blank=True, max_length=20),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
