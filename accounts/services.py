"""Every write to accounts' tables that spans rows or enforces a business rule."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import (
    Account,
    AuditEntry,
    Contact,
    Membership,
    Region,
    Role,
    Sequence,
    Tenant,
)
from accounts.tenancy import activate, current_tenant

User = get_user_model()

ACCOUNT_NUMBER_START = 1000


def _check_tenant(tenant: Tenant, *rows) -> None:
    for row in rows:
        if row is not None and row.tenant_id != tenant.pk:
            raise ValidationError(f"{row} belongs to another company and cannot be linked here.")


def _require_active(tenant: Tenant) -> None:
    """Services write rows of the tenant whose scope is active, never another one's."""
    active = current_tenant()
    if active is None or active.pk != tenant.pk:
        raise RuntimeError(f"Activate the scope of {tenant} before writing its rows.")


def next_number(*, tenant: Tenant, key: str, start: int = 1) -> int:
    """The next number of a per-tenant counter, gapless (see `next_numbers`)."""
    return next_numbers(tenant=tenant, key=key, count=1, start=start)[0]


def next_numbers(*, tenant: Tenant, key: str, count: int, start: int = 1) -> range:
    """The next `count` numbers of a per-tenant counter, gapless.

    The counter row is locked until the caller's transaction ends (on SQLite the IMMEDIATE
    transaction holds the write lock), so concurrent callers queue; a rollback gives the numbers
    back. Call it inside the transaction that stores the numbers, and use every one of them.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_numbers must run inside the transaction that uses them.")
    last = _advance(tenant, key, count)
    if last is None:  # the tenant's first number of this kind
        Sequence.objects.get_or_create(tenant=tenant, key=key, defaults={"last_value": start - 1})
        last = _advance(tenant, key, count)
    return range(last - count + 1, last + 1)


def _advance(tenant: Tenant, key: str, count: int) -> int | None:
    """Add `count` to the counter and return it, in one statement that locks the row."""
    meta = Sequence._meta
    quote = transaction.get_connection().ops.quote_name
    last_value, tenant_column, key_column = (
        quote(meta.get_field(name).column) for name in ("last_value", "tenant", "key")
    )
    with transaction.get_connection().cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(meta.db_table)} SET {last_value} = {last_value} + %s "
            f"WHERE {tenant_column} = %s AND {key_column} = %s RETURNING {last_value}",
            [count, tenant.pk, key],
        )
        row = cursor.fetchone()
    return row[0] if row else None


# --- Tenants and members ------------------------------------------------------------------------


@transaction.atomic
def tenant_create(
    *, name: str, slug: str, admin_email: str, admin_password: str | None = None, **fields
) -> tuple[Tenant, User, str | None]:
    """Create a training company with its first admin. Returns the password if one was made."""
    tenant = Tenant(name=name, slug=slug, **fields)
    tenant.full_clean()
    tenant.save()
    user = User.objects.filter(email__iexact=admin_email).first()
    generated = None
    if user is None:
        generated = admin_password or secrets.token_urlsafe(12)
        user = User(username=admin_email.lower(), email=admin_email.lower())
        user.set_password(generated)
        user.save()
        if admin_password:
            generated = None
    with activate(tenant):
        Membership.objects.create(tenant=tenant, user=user, role=Role.ADMIN)
    return tenant, user, generated


@transaction.atomic
def tenant_update(*, tenant: Tenant, by: User, **fields) -> Tenant:
    _require_active(tenant)
    for name, value in fields.items():
        setattr(tenant, name, value)
    tenant.full_clean()
    tenant.save()
    return tenant


@transaction.atomic
def membership_add(
    *, tenant: Tenant, by: User, email: str, role: str, first_name: str = "", last_name: str = ""
) -> tuple[Membership, bool]:
    """Give a person access; a new person gets a user account without a password.

    Returns the membership and whether a user account was created (that person needs an
    invitation to choose a password).
    """
    _require_active(tenant)
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    created = user is None
    if created:
        user = User(username=email, email=email, first_name=first_name, last_name=last_name)
        user.set_unusable_password()
        user.save()
    elif Membership.objects.filter(user=user).exists():
        raise ValidationError({"email": f"{email} is already a member of {tenant}."})
    membership = Membership(tenant=tenant, user=user, role=role)
    membership.full_clean()
    membership.save()
    return membership, created


def _admins_left_without(membership: Membership) -> int:
    return (
        Membership.objects.filter(role=Role.ADMIN, user__is_active=True)
        .exclude(pk=membership.pk)
        .count()
    )


@transaction.atomic
def membership_change_role(
    *, tenant: Tenant, by: User, membership: Membership, role: str
) -> Membership:
    _require_active(tenant)
    _check_tenant(tenant, membership)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if (
        membership.role == Role.ADMIN
        and role != Role.ADMIN
        and not _admins_left_without(membership)
    ):
        raise ValidationError("This is the company's last admin: make someone else admin first.")
    membership.role = role
    membership.full_clean()
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, tenant: Tenant, by: User, membership: Membership) -> None:
    _require_active(tenant)
    _check_tenant(tenant, membership)
    if membership.role == Role.ADMIN and not _admins_left_without(membership):
        raise ValidationError("This is the company's last admin and cannot be removed.")
    membership.delete()


# --- Regions ------------------------------------------------------------------------------------


@transaction.atomic
def region_save(*, tenant: Tenant, by: User, region: Region) -> Region:
    _require_active(tenant)
    region.tenant = tenant
    region.full_clean()
    region.save()
    return region


# --- Accounts -----------------------------------------------------------------------------------


def _normalise_tags(tags: str) -> str:
    seen: dict[str, str] = {}
    for tag in (t.strip() for t in (tags or "").split(",")):
        if tag and tag.lower() not in seen:
            seen[tag.lower()] = tag
    return ", ".join(seen.values())


@transaction.atomic
def account_save(*, tenant: Tenant, by: User, account: Account) -> Account:
    """Create or update an account; a new account gets the tenant's next account number."""
    _require_active(tenant)
    if account.pk and account.tenant_id != tenant.pk:
        raise ValidationError("This account belongs to another company.")
    account.tenant = tenant
    _check_tenant(tenant, account.parent, account.billing_account, account.region)
    account.tags = _normalise_tags(account.tags)
    account.sales_currency = (account.sales_currency or "").upper()
    if not account.pk:
        account.number = next_number(tenant=tenant, key="account", start=ACCOUNT_NUMBER_START)
    account.full_clean()
    account.save()
    return account


# --- Contacts -----------------------------------------------------------------------------------


@transaction.atomic
def contact_save(*, tenant: Tenant, by: User, contact: Contact) -> Contact:
    """Create or update a contact.

    The account's first contact becomes its primary contact; making a contact primary takes the
    flag from the previous one.
    """
    _require_active(tenant)
    contact.tenant = tenant
    _check_tenant(tenant, contact.account)
    # Lock the account so that two first contacts added at once cannot both become primary.
    Account.objects.select_for_update().filter(pk=contact.account_id).first()
    siblings = Contact.objects.filter(account_id=contact.account_id).exclude(pk=contact.pk)
    if not siblings.exists():
        contact.is_primary = True
    elif contact.is_primary:
        siblings.filter(is_primary=True).update(is_primary=False)
    elif contact.pk and not siblings.filter(is_primary=True).exists():
        # Unticking the only primary contact would leave the account without one.
        contact.is_primary = True
    contact.full_clean()
    contact.save()
    return contact


@transaction.atomic
def contact_delete(*, tenant: Tenant, by: User, contact: Contact) -> None:
    """Delete a contact; if it was primary, the longest-standing other contact takes over."""
    _require_active(tenant)
    _check_tenant(tenant, contact)
    was_primary = contact.is_primary
    account_id = contact.account_id
    contact.delete()
    if was_primary:
        successor = Contact.objects.filter(account_id=account_id).order_by("created_at", "pk")
        successor = successor.first()
        if successor is not None:
            successor.is_primary = True
            successor.save(update_fields=["is_primary"])


def audit(*, tenant, actor, action: str, obj, before=None, after=None) -> AuditEntry:
    """Append an audit entry; call it inside the transaction of the change it records."""
    return audit_many(tenant=tenant, actor=actor, action=action, changes=[(obj, before, after)])[0]


def audit_many(*, tenant, actor, action: str, changes) -> list[AuditEntry]:
    """Append one entry per (row, before, after) of `changes`, in one statement; call it inside
    the transaction of the changes it records."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit() belongs inside the transaction of the change it records.")
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                tenant=tenant,
                actor=user,
                action=action,
                object_type=obj._meta.label_lower,
                object_id=obj.pk,
                subject=str(obj)[:255],
                before=_jsonable(before or {}),
                after=_jsonable(after or {}),
            )
            for obj, before, after in changes
        ]
    )


def _jsonable(values: dict) -> dict:
    return {
        key: value if isinstance(value, (int, float, bool, type(None))) else str(value)
        for key, value in values.items()
    }
