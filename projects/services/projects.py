"""Projects: created and changed with their defaults, status, copies, documents and purchase
orders (DESIGN.md, "Projects")."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import Account, Contact
from accounts.platform import documents
from accounts.platform.guards import check_tenant, normalise_tags, require_active
from accounts.platform.money import round_money
from accounts.platform.sequences import next_number
from agreements.models import (
    Booking,
    BookingStatus,
    Interest,
)
from projects.models import (
    Item,
    Project,
    ProjectDocument,
    ProjectProduct,
    ProjectShare,
    ProjectStatus,
    PurchaseOrder,
    Registration,
)
from projects.selectors import project_settings

PROJECT_NUMBER_START = 1001


def has_priced_rows(project: Project) -> bool:
    return (
        Registration.objects.filter(project=project).exists()
        or Item.objects.filter(project=project).exists()
    )


def project_defaults(
    *, tenant, account: Account | None = None, booking: Booking | None = None
) -> dict:
    """What the new-project form proposes for a customer or a booking (`?account=`,
    `?booking=`): the customer; the booking given, else the customer's (or its parent's) latest
    signed one, with its dates (and its name when it was given); and the currency the project
    will be priced in, by the same rule as `project_save` (`apply_defaults`). The billing
    account, contact, e-mail and region are left for `project_save` to fill from the customer
    finally chosen, so that changing the customer on the form never keeps another's. The budget
    policy is the company's default (`ProjectSettings`), whatever the customer."""
    proposed = {"budget_policy": project_settings(tenant).default_budget_policy}
    if booking is not None and (
        account is None or booking.account_id not in (account.pk, account.parent_id)
    ):
        account = booking.account
    if account is None:
        return proposed
    if booking is not None:
        proposed["name"] = booking.name
    else:
        booking = (
            Booking.objects.filter(
                account_id__in=[account.pk, account.parent_id], status=BookingStatus.SIGNED
            )
            .order_by("-start_date")
            .first()
        )
    project = Project(tenant=tenant, account=account, booking=booking)
    apply_defaults(project, tenant)
    proposed.update(account=account.pk, currency=project.currency)
    if booking is not None:
        proposed.update(
            booking=booking.pk, start_date=booking.start_date, end_date=booking.end_date
        )
    return proposed


def apply_defaults(project: Project, tenant) -> None:
    """Fill what a project left empty from its customer and booking (DESIGN.md, "Projects"):
    the one rule behind `project_save` and the form's proposal (`project_defaults`)."""
    account = project.account
    if not project.billing_account_id:
        project.billing_account = account.billing_account or account
    if not project.currency:
        project.currency = (
            account.sales_currency
            or (project.booking.currency if project.booking_id else "")
            or tenant.base_currency
        )
    project.currency = project.currency.upper()
    if not project.main_contact_id:
        project.main_contact = Contact.objects.filter(account=account, is_primary=True).first()
    if not project.invoice_email:
        project.invoice_email = (project.main_contact.email if project.main_contact else "") or (
            project.billing_account.email or account.email
        )
    if not project.region_id:
        project.region_id = account.region_id


@transaction.atomic
def project_save(
    *, tenant, by, project: Project, product_ids: Iterable[int] | None = None
) -> Project:
    """Create or update a project, with the rules of DESIGN.md ("Projects")."""
    require_active(tenant)
    if project.pk and project.tenant_id != tenant.pk:
        raise ValidationError(gettext("This project belongs to another company."))
    project.tenant = tenant
    if not project.account_id:
        raise ValidationError({"account": gettext("Choose the customer.")})
    check_tenant(
        tenant,
        project.account,
        project.booking,
        project.parent,
        project.region,
        project.billing_account if project.billing_account_id else None,
    )
    apply_defaults(project, tenant)
    project.tags = normalise_tags(project.tags)
    if project.pk:
        before = Project.objects.select_for_update().get(pk=project.pk)
        if has_priced_rows(before):
            locked = []
            if before.account_id != project.account_id:
                locked.append("customer")
            if before.currency != project.currency:
                locked.append("currency")
            if locked:
                how = (
                    "Use “Change currency” on the project page (while nothing is invoiced), "
                    "or start a new project."
                    if locked == ["currency"]
                    else "Start a new project instead."
                )
                raise ValidationError(
                    gettext(
                        "The %(locked)s cannot change: the project has registrations or items "
                        "priced in them. %(how)s"
                    )
                    % {"locked": " and ".join(locked), "how": how}
                )
        if before.status != project.status:
            _check_status_change(project, project.status)
    else:
        project.code = f"PR-{next_number(tenant=tenant, key='project', start=PROJECT_NUMBER_START)}"
        if project.status == ProjectStatus.FINISHED:
            project.finished_date = timezone.localdate()
    _check_parent_chain(project)
    project.full_clean()
    project.save()
    if product_ids is not None:
        _set_products(tenant, project, product_ids)
    elif not project.products.exists() and project.booking_id:
        _set_products(
            tenant,
            project,
            Interest.objects.filter(booking=project.booking).values_list("product_id", flat=True),
        )
    return project


def _check_parent_chain(project: Project) -> None:
    seen = {project.pk}
    ancestor = project.parent
    while ancestor is not None:
        if ancestor.pk in seen:
            raise ValidationError(
                {"parent": gettext("That parent would put the project below itself.")}
            )
        seen.add(ancestor.pk)
        ancestor = ancestor.parent


def _set_products(tenant, project: Project, product_ids: Iterable[int]) -> None:
    wanted = set(product_ids)
    ProjectProduct.objects.filter(project=project).exclude(product_id__in=wanted).delete()
    existing = set(
        ProjectProduct.objects.filter(project=project).values_list("product_id", flat=True)
    )
    ProjectProduct.objects.bulk_create(
        [
            ProjectProduct(tenant=tenant, project=project, product_id=pk)
            for pk in sorted(wanted - existing)
        ]
    )


def _check_status_change(project: Project, status: str) -> None:
    if status == ProjectStatus.FINISHED:
        open_subs = Project.objects.filter(parent_id=project.pk).exclude(
            status=ProjectStatus.FINISHED
        )
        if open_subs.exists():
            codes = ", ".join(open_subs.values_list("code", flat=True)[:5])
            raise ValidationError(
                gettext("Finish the sub-projects first (%(codes)s).") % {"codes": codes}
            )
        project.finished_date = timezone.localdate()
    else:
        project.finished_date = None


@transaction.atomic
def project_set_status(*, tenant, by, project: Project, status: str) -> Project:
    """Active → no more transactions → finished; a finished project can be reopened."""
    require_active(tenant)
    check_tenant(tenant, project)
    project = Project.objects.select_for_update().get(pk=project.pk)
    if status not in ProjectStatus.values:
        raise ValidationError(gettext("Choose one of the listed statuses."))
    if status == project.status:
        return project
    _check_status_change(project, status)
    project.status = status
    project.save(update_fields=["status", "finished_date"])
    return project


@transaction.atomic
def project_copy(
    *,
    tenant,
    by,
    source: Project,
    name: str,
    start_date: datetime.date | None = None,
    with_plan: bool = False,
    as_template: bool = False,
) -> Project:
    """A new project with the source's settings, products and purchase orders (no transactions).
    `with_plan`: its phases, events, items and milestones too (`copies.copy_plan`), every date
    moved so that the copy starts on `start_date` (default: the source's start). `as_template`:
    the copy is a template (a model for new projects, never invoiced); a project made from a
    template is an ordinary one."""
    from projects.services.copies import copy_plan

    require_active(tenant)
    check_tenant(tenant, source)
    fields = {
        f.name: getattr(source, f.name)
        for f in Project._meta.concrete_fields
        if f.name
        not in {"id", "code", "status", "finished_date", "created_at", "name", "is_template"}
    }
    shift = (start_date - source.start_date) if start_date else datetime.timedelta(0)
    fields.update(start_date=source.start_date + shift, end_date=source.end_date + shift)
    copy = project_save(
        tenant=tenant,
        by=by,
        project=Project(**fields, name=name, is_template=as_template),
        product_ids=source.products.values_list("product_id", flat=True),
    )
    for order in PurchaseOrder.objects.filter(project=source):
        PurchaseOrder.objects.create(
            tenant=tenant,
            project=copy,
            number=order.number,
            value_cap=order.value_cap,
            valid_from=order.valid_from,
            valid_to=order.valid_to,
            notes=order.notes,
        )
    if with_plan or as_template:
        copy_plan(tenant=tenant, by=by, source=source, target=copy, shift=shift)
    # A restricted project's copy is shared with the same people (its visibility is copied).
    ProjectShare.objects.bulk_create(
        ProjectShare(
            tenant=tenant, project=copy, membership_id=s.membership_id, group_id=s.group_id
        )
        for s in ProjectShare.objects.filter(project=source)
    )
    return copy


@transaction.atomic
def project_document_upload(
    *, tenant, by, project: Project, upload, description=""
) -> ProjectDocument:
    require_active(tenant)
    check_tenant(tenant, project)
    return documents.store(
        ProjectDocument(tenant=tenant, project=project), upload, by=by, description=description
    )


@transaction.atomic
def project_document_delete(*, tenant, by, document: ProjectDocument) -> None:
    """Delete the row now (audited) and the file once the transaction has committed."""
    require_active(tenant)
    check_tenant(tenant, document)
    documents.discard(document, tenant=tenant, by=by, attached_to=document.project)


@transaction.atomic
def purchase_order_save(*, tenant, by, order: PurchaseOrder) -> PurchaseOrder:
    require_active(tenant)
    order.tenant = tenant
    check_tenant(tenant, order.project)
    if order.value_cap is not None:
        order.value_cap = round_money(order.value_cap, order.project.currency)
    order.full_clean()
    order.save()
    return order
