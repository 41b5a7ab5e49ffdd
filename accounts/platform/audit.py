"""The append-only audit trail: who did what to which row, with the values before and after."""

from __future__ import annotations

from django.db import transaction

from accounts.platform.bulk import insert_rows
from accounts.platform.models import AuditEntry


def audit(*, tenant, actor, action: str, obj, before=None, after=None) -> AuditEntry:
    """Append an audit entry; call it inside the transaction of the change it records."""
    entries = _entries(tenant, actor, action, [(obj, before, after)])
    return AuditEntry.objects.bulk_create(entries)[0]


def audit_many(*, tenant, actor, action: str, changes) -> list[AuditEntry]:
    """Append one entry per (row, before, after) of `changes`, all at once (`insert_rows`: COPY
    on PostgreSQL, so the entries come back without their ids); call it inside the transaction
    of the changes it records. A bulk run writes its batch's entries with it."""
    entries = _entries(tenant, actor, action, changes)
    insert_rows(AuditEntry, entries)
    return entries


def _entries(tenant, actor, action: str, changes) -> list[AuditEntry]:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit() belongs inside the transaction of the change it records.")
    user = actor if getattr(actor, "is_authenticated", False) else None
    return [
        AuditEntry(
            tenant_id=tenant.pk,
            actor_id=user.pk if user is not None else None,
            action=action,
            object_type=obj._meta.label_lower,
            object_id=obj.pk,
            subject=str(obj)[:255],
            before=_jsonable(before or {}),
            after=_jsonable(after or {}),
        )
        for obj, before, after in changes
    ]


def _jsonable(values: dict) -> dict:
    return {
        key: value if isinstance(value, (int, float, bool, type(None))) else str(value)
        for key, value in values.items()
    }
