"""What every service checks before it writes: the tenant's scope is active, every linked row
is the same tenant's; and how tags are written."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from accounts.platform.models import Tenant
from accounts.platform.tenancy import current_tenant


def check_tenant(tenant: Tenant, *rows) -> None:
    for row in rows:
        if row is not None and row.tenant_id != tenant.pk:
            raise ValidationError(
                gettext("%(row)s belongs to another company and cannot be linked here.")
                % {"row": row}
            )


def require_active(tenant: Tenant) -> None:
    """Services write rows of the tenant whose scope is active, never another one's."""
    active = current_tenant()
    if active is None or active.pk != tenant.pk:
        raise RuntimeError(f"Activate the scope of {tenant} before writing its rows.")


def normalise_tags(tags: str) -> str:
    seen: dict[str, str] = {}
    for tag in (t.strip() for t in (tags or "").split(",")):
        if tag and tag.lower() not in seen:
            seen[tag.lower()] = tag
    return ", ".join(seen.values())
