"""The company's invoicing settings: handling-fee product, fee on prepaid lines, oldest rate, and
the invoice e-mail's subject and text."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from accounts.platform.audit import audit
from accounts.platform.guards import check_tenant, require_active
from invoicing import mail
from invoicing.models import InvoicingSettings

FIELDS = (
    "handling_fee_product",
    "fee_on_prepaid_lines",
    "max_rate_age_days",
    "email_subject",
    "email_body",
)


def _values(row: InvoicingSettings | None) -> dict:
    if row is None:
        return {}
    return {
        "handling_fee_product": row.handling_fee_product.code
        if row.handling_fee_product_id
        else None,
        "fee_on_prepaid_lines": row.fee_on_prepaid_lines,
        "max_rate_age_days": row.max_rate_age_days,
        "email_subject": row.email_subject,
        "email_body": row.email_body,
    }


@transaction.atomic
def invoicing_settings_save(*, tenant, by, settings: InvoicingSettings) -> InvoicingSettings:
    """Save the company's invoicing settings (one row per company, created on first save)."""
    require_active(tenant)
    if settings.tenant_id is not None and settings.tenant_id != tenant.pk:
        raise ValidationError(gettext("These settings belong to another company."))
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
    # The templates are checked here too, not only by the page's form: the admin saves through
    # this service, and a template that cannot be filled would only fail when an invoice is sent.
    problems = {
        field: mail.template_problems(getattr(settings, field))
        for field in ("email_subject", "email_body")
    }
    if any(problems.values()):
        raise ValidationError({field: found for field, found in problems.items() if found})
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
