from decimal import Decimal

from django.db import migrations, models


def backfill(apps, schema_editor):
    """Rows on a live invoice line were billed in full (partial billing did not exist)."""
    from django_scopes import scopes_disabled

    with scopes_disabled():
        Registration = apps.get_model("projects", "Registration")
        Item = apps.get_model("projects", "Item")
        Registration.objects.filter(invoiced=True).update(billed_quantity=models.F("places"))
        Item.objects.filter(invoiced=True).update(billed_quantity=models.F("quantity"))


class Migration(migrations.Migration):
    dependencies = [("projects", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="item",
            name="billed_quantity",
            field=models.DecimalField(
                decimal_places=2, default=Decimal("0"), editable=False, max_digits=10
            ),
        ),
        migrations.AddField(
            model_name="registration",
            name="billed_quantity",
            field=models.DecimalField(
                decimal_places=2, default=Decimal("0"), editable=False, max_digits=10
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
