"""The company's project settings: what a new project proposes (issue 14: its budget policy)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from accounts.platform.audit import audit
from accounts.platform.guards import require_active
from projects.models import ProjectSettings


def _values(row: ProjectSettings | None) -> dict:
    if row is None:
        return {}
    return {"default_budget_policy": row.default_budget_policy}


@transaction.atomic
def project_settings_save(*, tenant, by, settings: ProjectSettings) -> ProjectSettings:
    """Save the company's project settings (one row per company, created on first save),
    audited. Existing projects keep their own policy: the setting is what new ones propose."""
    require_active(tenant)
    if settings.tenant_id is not None and settings.tenant_id != tenant.pk:
        raise ValidationError(gettext("These settings belong to another company."))
    settings.tenant = tenant
    before = ProjectSettings.objects.select_for_update().filter(tenant=tenant).first()
    if before is not None and settings.pk != before.pk:
        # The company's one row, whatever the caller started from (e.g. unsaved defaults).
        settings.pk = before.pk
        settings._state.adding = False
    settings.full_clean()
    settings.save()
    if _values(before) != _values(settings):
        audit(
            tenant=tenant,
            actor=by,
            action="project settings changed",
            obj=settings,
            before=_values(before),
            after=_values(settings),
        )
    return settings
