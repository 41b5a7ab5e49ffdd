# Issue 14, part 5: prepurchased units (and money, where the agreement says so) expire per charge.

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models

from accounts.platform import rls


def allocate_existing_uses(apps, schema_editor):
    """Existing charges keep no expiry date (they never expire). Each existing use that was not
    reversed is allocated to the charges (not reversed) oldest first, so every charge's
    remainder is exact and every balance stays as it was; what no charge covered stays in the
    overdraft. Reversed uses and their reversals cancel out and take nothing from a charge."""
    from decimal import Decimal

    from django_scopes import scopes_disabled

    Entry = apps.get_model("agreements", "PrepurchaseEntry")
    Allocation = apps.get_model("agreements", "PrepurchaseAllocation")
    with scopes_disabled():
        rows = Entry._base_manager.order_by("agreement_id", "entry_date", "pk")
        reversed_ids = set(
            Entry._base_manager.filter(kind="reversal").values_list("reverses_id", flat=True)
        )
        charges, uses = {}, {}
        for row in rows:
            if row.pk in reversed_ids:
                continue
            if row.kind == "charge":
                charges.setdefault(row.agreement_id, []).append([row, row.amount])
            elif row.kind == "use":
                uses.setdefault(row.agreement_id, []).append(row)
        made = []
        for agreement_id, agreement_uses in uses.items():
            left_on = charges.get(agreement_id, [])
            for use in agreement_uses:
                left = use.amount
                for slot in left_on:
                    charge, remainder = slot
                    take = min(left, remainder)
                    if take > 0:
                        made.append(
                            Allocation(
                                tenant_id=use.tenant_id,
                                entry_id=use.pk,
                                charge_id=charge.pk,
                                delta=-take,
                            )
                        )
                        slot[1] = remainder - take
                        left -= take
                    if left <= Decimal("0"):
                        break
        Allocation._base_manager.bulk_create(made, batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_invoices_to_send"),
        ("agreements", "0004_booking_uplift"),
    ]

    operations = [
        migrations.AddField(
            model_name="prepurchaseagreement",
            name="charge_validity",
            field=models.CharField(
                choices=[
                    ("none", "Never expires"),
                    ("months", "A number of months after purchase"),
                    ("agreement_end", "At the agreement's end"),
                ],
                default="none",
                help_text="Prefills each charge's expiry date; a charge's own date can differ.",
                max_length=15,
                verbose_name="charges expire",
            ),
        ),
        migrations.AddField(
            model_name="prepurchaseagreement",
            name="validity_months",
            field=models.PositiveSmallIntegerField(
                blank=True,
                help_text="With “a number of months after purchase”: usable until the same day "
                "then.",
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(240),
                ],
                verbose_name="months of validity",
            ),
        ),
        migrations.AddField(
            model_name="prepurchaseagreement",
            name="money_expires",
            field=models.BooleanField(
                default=False,
                help_text="Money agreements only: whether money charges may carry an expiry date "
                "(training units always may).",
                verbose_name="money expires",
            ),
        ),
        migrations.AlterField(
            model_name="prepurchaseentry",
            name="kind",
            field=models.CharField(
                choices=[
                    ("charge", "Charge"),
                    ("use", "Use"),
                    ("reversal", "Reversal"),
                    ("write_off", "Write-off"),
                ],
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="prepurchaseentry",
            name="expires_on",
            field=models.DateField(blank=True, null=True, verbose_name="expires on"),
        ),
        migrations.AddField(
            model_name="prepurchaseentry",
            name="charge",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="write_offs",
                to="agreements.prepurchaseentry",
            ),
        ),
        migrations.AddConstraint(
            model_name="prepurchaseentry",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("expires_on__isnull", True), ("kind", "charge"), _connector="OR"
                ),
                name="entry_only_charges_expire",
            ),
        ),
        migrations.AddConstraint(
            model_name="prepurchaseentry",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("charge__isnull", False), ("kind", "write_off")),
                    models.Q(
                        models.Q(("kind", "write_off"), _negated=True), ("charge__isnull", True)
                    ),
                    _connector="OR",
                ),
                name="entry_write_off_names_its_charge",
            ),
        ),
        migrations.CreateModel(
            name="PrepurchaseAllocation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "delta",
                    models.DecimalField(
                        decimal_places=3,
                        help_text="Effect on the charge's remainder.",
                        max_digits=14,
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "tenant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.tenant",
                    ),
                ),
                (
                    "entry",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="allocations",
                        to="agreements.prepurchaseentry",
                    ),
                ),
                (
                    "charge",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="allocated",
                        to="agreements.prepurchaseentry",
                    ),
                ),
            ],
            options={
                "ordering": ["pk"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("delta", 0), _negated=True),
                        name="allocation_delta_not_zero",
                    )
                ],
            },
        ),
        rls.enable_operation("agreements_prepurchaseallocation"),
        migrations.RunPython(allocate_existing_uses, migrations.RunPython.noop),
    ]
