"""Every write to accounts' tables that spans rows or enforces a business rule."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from accounts.models import Account, BankAccount, Contact, Region
from accounts.platform.audit import audit
from accounts.platform.guards import check_tenant, normalise_tags, require_active
from accounts.platform.models import MemberGroup, MemberGroupMember, Membership, Role, Tenant
from accounts.platform.sequences import next_number
from accounts.platform.tasks import enqueue_on_commit
from accounts.platform.tenancy import activate
from accounts.tasks import send_member_invitation, send_member_notice

User = get_user_model()

ACCOUNT_NUMBER_START = 1000


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
    require_active(tenant)
    for name, value in fields.items():
        setattr(tenant, name, value)
    tenant.full_clean()
    tenant.save()
    return tenant


@transaction.atomic
def membership_add(
    *,
    tenant: Tenant,
    by: User,
    email: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
    invite_base_url: str | None = None,
) -> tuple[Membership, bool]:
    """Give a person access, by e-mail address: the one way members are added (the members
    page, the Django admin, `add_member`).

    Whether the address belongs to a user of the platform already must not show: every caller
    answers with `invitation_sent`, whatever happened. A new person gets a user account without
    a password and an e-mail with a link to choose one; a known user gets an e-mail saying they
    now have access (their name and account stay as they are). The e-mail is queued once the
    membership is committed, with links on `invite_base_url` (the app's address); without an
    address no e-mail is sent.

    Returns the membership and whether a user account was created (for operators' commands,
    never for a page).
    """
    require_active(tenant)
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    created = user is None
    if created:
        user = User(username=email, email=email, first_name=first_name, last_name=last_name)
        user.set_unusable_password()
        user.save()
    elif Membership.objects.filter(user=user).exists():
        raise ValidationError(
            {
                "email": gettext("%(email)s is already a member of %(tenant)s.")
                % {"email": email, "tenant": tenant}
            }
        )
    membership = Membership(tenant=tenant, user=user, role=role)
    membership.full_clean()
    membership.save()
    audit(
        tenant=tenant,
        actor=by,
        action="member added",
        obj=membership,
        after={"email": email, "role": role},
    )
    if invite_base_url:
        enqueue_on_commit(
            send_member_invitation if created else send_member_notice,
            tenant=tenant,
            membership_id=membership.pk,
            base_url=invite_base_url,
        )
    return membership, created


def invitation_sent(*, email: str, tenant: Tenant) -> str:
    """What a page answers once `membership_add` has added someone: the same words whether or
    not the person had a user account, so the answer tells nothing about other companies."""
    return f"We have sent {email.strip().lower()} an invitation to join {tenant.name}."


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
    require_active(tenant)
    check_tenant(tenant, membership)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if (
        membership.role == Role.ADMIN
        and role != Role.ADMIN
        and not _admins_left_without(membership)
    ):
        raise ValidationError(
            gettext("This is the company's last admin: make someone else admin first.")
        )
    membership.role = role
    membership.full_clean()
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, tenant: Tenant, by: User, membership: Membership) -> None:
    require_active(tenant)
    check_tenant(tenant, membership)
    if membership.role == Role.ADMIN and not _admins_left_without(membership):
        raise ValidationError(gettext("This is the company's last admin and cannot be removed."))
    audit(
        tenant=tenant,
        actor=by,
        action="member removed",
        obj=membership,
        before={"email": membership.user.email, "role": membership.role},
    )
    membership.delete()


# --- Member groups (who projects are shared with) -----------------------------------------------


@transaction.atomic
def member_group_save(*, tenant: Tenant, by: User, group: MemberGroup, memberships) -> MemberGroup:
    """Create or rename a group and set its members (replacing the ones it had)."""
    require_active(tenant)
    if group.pk is None:
        group.tenant = tenant  # a new group is the acting company's
    check_tenant(tenant, group, *memberships)
    group.name = " ".join((group.name or "").split())
    if not group.name:
        raise ValidationError({"name": gettext("Give the group a name.")})
    before = {}
    if group.pk:
        old = MemberGroup.objects.select_for_update().get(pk=group.pk)
        before = {"name": old.name, "members": _group_emails(old)}
    group.full_clean()
    group.save()
    MemberGroupMember.objects.filter(group=group).delete()
    MemberGroupMember.objects.bulk_create(
        [MemberGroupMember(tenant=tenant, group=group, membership=m) for m in memberships]
    )
    after = {"name": group.name, "members": _group_emails(group)}
    audit(
        tenant=tenant,
        actor=by,
        action="member group saved",
        obj=group,
        before=before,
        after=after,
    )
    return group


def _group_emails(group: MemberGroup) -> str:
    emails = MemberGroupMember.objects.filter(group=group).values_list(
        "membership__user__email", flat=True
    )
    return ", ".join(sorted(emails))


# --- Bank accounts ------------------------------------------------------------------------------

BANK_ACCOUNT_FIELDS = [
    "label",
    "bank_name",
    "account_holder",
    "currency",
    "iban",
    "bic",
    "account_number",
    "sort_code",
    "is_default",
    "is_active",
]


def _bank_account_values(bank_account: BankAccount) -> dict:
    return {name: getattr(bank_account, name) for name in BANK_ACCOUNT_FIELDS}


@transaction.atomic
def bank_account_save(*, tenant: Tenant, by: User, bank_account: BankAccount) -> BankAccount:
    """Create or update one of the company's bank accounts (the settings page, the Django admin).

    One default per company: making an account the default takes the flag from the previous
    one; an inactive account is never the default."""
    require_active(tenant)
    if bank_account.pk and bank_account.tenant_id != tenant.pk:
        raise ValidationError(gettext("This bank account belongs to another company."))
    bank_account.tenant = tenant
    bank_account.currency = (bank_account.currency or "").upper()
    before = {}
    if bank_account.pk:
        stored = BankAccount.objects.select_for_update().filter(pk=bank_account.pk).first()
        before = _bank_account_values(stored) if stored else {}
    if not bank_account.is_active:
        bank_account.is_default = False
    bank_account.full_clean(validate_constraints=False)
    if bank_account.is_default:
        others = BankAccount.objects.select_for_update().filter(is_default=True)
        if bank_account.pk:
            others = others.exclude(pk=bank_account.pk)
        others.update(is_default=False)
    bank_account.save()
    audit(
        tenant=tenant,
        actor=by,
        action="bank account saved" if before else "bank account added",
        obj=bank_account,
        before=before,
        after=_bank_account_values(bank_account),
    )
    return bank_account


@transaction.atomic
def bank_account_deactivate(*, tenant: Tenant, by: User, bank_account: BankAccount) -> BankAccount:
    """Stop printing a bank account on new invoices (issued ones keep theirs, frozen)."""
    check_tenant(tenant, bank_account)
    bank_account.is_active = False
    return bank_account_save(tenant=tenant, by=by, bank_account=bank_account)


# --- Regions ------------------------------------------------------------------------------------


@transaction.atomic
def region_save(*, tenant: Tenant, by: User, region: Region) -> Region:
    require_active(tenant)
    region.tenant = tenant
    region.full_clean()
    region.save()
    return region


# --- Accounts -----------------------------------------------------------------------------------


@transaction.atomic
def account_save(*, tenant: Tenant, by: User, account: Account) -> Account:
    """Create or update an account; a new account gets the tenant's next account number."""
    require_active(tenant)
    if account.pk and account.tenant_id != tenant.pk:
        raise ValidationError(gettext("This account belongs to another company."))
    account.tenant = tenant
    check_tenant(tenant, account.parent, account.billing_account, account.region)
    account.tags = normalise_tags(account.tags)
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
    require_active(tenant)
    contact.tenant = tenant
    check_tenant(tenant, contact.account)
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
    require_active(tenant)
    check_tenant(tenant, contact)
    was_primary = contact.is_primary
    account_id = contact.account_id
    audit(
        tenant=tenant,
        actor=by,
        action="contact deleted",
        obj=contact,
        before={"account": str(contact.account), "email": contact.email},
    )
    contact.delete()
    if was_primary:
        successor = Contact.objects.filter(account_id=account_id).order_by("created_at", "pk")
        successor = successor.first()
        if successor is not None:
            successor.is_primary = True
            successor.save(update_fields=["is_primary"])
