"""Issue 13, part 3: an invoice may bill several projects of one billing account, so each line
says which project it bills (`InvoiceLine.project`): existing lines take their invoice's project
(every invoice so far was one project's), and issued lines the code of their invoice's frozen
project (`InvoiceLine.project_code`, frozen at issue from now on). `Invoice.project` stays, now "its project, or the first
of several"; and the grouping "one per billing account" joins the choices."""

import django.db.models.deletion
from django.db import migrations, models


def lines_take_their_invoice_project(apps, schema_editor):
    # One statement for every line of every tenant (migrate runs as the owner, with the bypass).
    line = schema_editor.quote_name(apps.get_model("invoicing", "InvoiceLine")._meta.db_table)
    invoice = schema_editor.quote_name(apps.get_model("invoicing", "Invoice")._meta.db_table)
    schema_editor.execute(
        f"UPDATE {line} SET project_id = (SELECT {invoice}.project_id FROM {invoice} "
        f"WHERE {invoice}.id = {line}.invoice_id) WHERE project_id IS NULL"
    )
    # Issued lines freeze their project's code: their invoice's snapshot (one project each).
    schema_editor.execute(
        f"UPDATE {line} SET project_code = (SELECT {invoice}.project_code FROM {invoice} "
        f"WHERE {invoice}.id = {line}.invoice_id) WHERE EXISTS (SELECT 1 FROM {invoice} "
        f"WHERE {invoice}.id = {line}.invoice_id AND {invoice}.status <> 'draft')"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("invoicing", "0016_funder_split"),
        ("projects", "0007_sharing_classification"),
    ]

    operations = [
        migrations.AddField(
            model_name="invoiceline",
            name="project",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="invoice_lines",
                to="projects.project",
            ),
        ),
        migrations.AddField(
            model_name="invoiceline",
            name="project_code",
            field=models.CharField(blank=True, editable=False, max_length=20),
        ),
        migrations.RunPython(lines_take_their_invoice_project, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="invoiceline",
            name="project",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="invoice_lines",
                to="projects.project",
            ),
        ),
        migrations.AlterField(
            model_name="invoice",
            name="project",
            field=models.ForeignKey(
                help_text="Its project; on an invoice of several projects, the first of them.",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="invoices",
                to="projects.project",
            ),
        ),
        migrations.AlterField(
            model_name="invoicerun",
            name="grouping",
            field=models.CharField(
                choices=[
                    ("all", "One invoice for all selected"),
                    ("project", "One per project"),
                    ("billing_po", "One per billing account and purchase order"),
                    ("event", "One per event"),
                    ("registration", "One per registration"),
                    ("purchase_order", "One per purchase-order reference"),
                    ("billing_account", "One per billing account (projects together)"),
                ],
                default="project",
                max_length=20,
            ),
        ),
        migrations.AddIndex(
            model_name="invoiceline",
            index=models.Index(fields=["tenant", "project"], name="line_tenant_project"),
        ),
    ]
