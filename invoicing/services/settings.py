"""The company's invoicing settings: handling-fee product, fee on prepaid lines, oldest rate."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.platform.audit import audit
from accounts.platform.guards import check_tenant, require_active
from invoicing.models import InvoicingSettings

FIELDS = ("handling_fee_product", "fee_on_prepaid_lines", "max_rate_age_days")


def _values(row: InvoicingSettings | None) -> dict:
    if row is None:
        return {}
    return {
        "handling_fee_product": row.handling_fee_product.code
        if row.handling_fee_product_id
        else None,
        "fee_on_prepaid_lines": row.fee_on_prepaid_lines,
        "max_rate_age_days": row.max_rate_age_days,
    }


@transaction.atomic
def invoicing_settings_save(*, tenant, by, settings: InvoicingSettings) -> InvoicingSettings:
    """Save the company's invoicing settings (one row per company, created on first save)."""
    require_active(tenant)
    if settings.tenant_id is not None and settings.tenant_id != tenant.pk:
        raise ValidationError("These settings belong to another company.")
    settings.tenant = tenant
    check_tenant(tenant, settings.handling_fee_product)
    before = (
        InvoicingSettings.objects.select_for_update(of=("self",))
        .select_related("handling_fee_product")
        .filter(tenant=tenant)
        .first()
    )
    if before is not None and settings.pk != before.pk:
        # The company's one row, whatever the caller started from (e.g. unsaved defaults).
        settings.pk = before.pk
        settings._state.adding = False
    settings.full_clean()
    settings.save()
    audit(
        tenant=tenant,
        actor=by,
        action="invoicing settings changed",
        obj=settings,
        before=_values(before),
        after=_values(settings),
    )
    return settings
