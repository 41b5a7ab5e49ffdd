"""Every write of projects that spans rows or enforces a business rule (DESIGN.md, "Projects")."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import timezone

from accounts.models import Account, Contact
from accounts.platform import documents
from accounts.platform.audit import audit
from accounts.platform.guards import check_tenant, normalise_tags, require_active
from accounts.platform.money import format_percent, line_net, round_money
from accounts.platform.sequences import next_number
from agreements.models import (
    Booking,
    BookingStatus,
    DiscountAgreement,
    Interest,
    PrepurchaseAgreement,
    ProductKind,
)
from agreements.pricing import check_places, resolve_prepurchase_price, resolve_price
from projects.billing import COSTED_STATUSES
from projects.models import (
    BudgetPolicy,
    EventStatus,
    Item,
    PrivateEvent,
    Project,
    ProjectDocument,
    ProjectProduct,
    ProjectStatus,
    PurchaseOrder,
    Registration,
    RegistrationStatus,
)

PROJECT_NUMBER_START = 1001
ACTIVE_REGISTRATION = ~Q(status__in=[RegistrationStatus.CANCELLED])
AUTO = object()  # "choose the best eligible discount"


class NeedsConfirmation(ValidationError):
    """Warnings the user must confirm (capacity, discount places, budget under 'warning')."""

    def __init__(self, warnings: Sequence[str]):
        self.warnings = list(warnings)
        super().__init__(self.warnings, code="needs_confirmation")


# --- Projects -----------------------------------------------------------------------------------


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
    will be priced in, by the same rule as `project_save` (`_apply_defaults`). The billing
    account, contact, e-mail and region are left for `project_save` to fill from the customer
    finally chosen, so that changing the customer on the form never keeps another's."""
    if booking is not None and (
        account is None or booking.account_id not in (account.pk, account.parent_id)
    ):
        account = booking.account
    if account is None:
        return {}
    proposed = {}
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
    _apply_defaults(project, tenant)
    proposed.update(account=account.pk, currency=project.currency)
    if booking is not None:
        proposed.update(
            booking=booking.pk, start_date=booking.start_date, end_date=booking.end_date
        )
    return proposed


def _apply_defaults(project: Project, tenant) -> None:
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
        raise ValidationError("This project belongs to another company.")
    project.tenant = tenant
    if not project.account_id:
        raise ValidationError({"account": "Choose the customer."})
    check_tenant(
        tenant,
        project.account,
        project.booking,
        project.parent,
        project.region,
        project.billing_account if project.billing_account_id else None,
    )
    _apply_defaults(project, tenant)
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
                raise ValidationError(
                    f"The {' and '.join(locked)} cannot change: the project has registrations or "
                    "items priced in them. Start a new project instead."
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
            raise ValidationError({"parent": "That parent would put the project below itself."})
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
            raise ValidationError(f"Finish the sub-projects first ({codes}).")
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
        raise ValidationError("Choose one of the listed statuses.")
    if status == project.status:
        return project
    _check_status_change(project, status)
    project.status = status
    project.save(update_fields=["status", "finished_date"])
    return project


@transaction.atomic
def project_copy(*, tenant, by, source: Project, name: str) -> Project:
    """A new project with the source's settings, products and purchase orders (no transactions)."""
    require_active(tenant)
    check_tenant(tenant, source)
    fields = {
        f.name: getattr(source, f.name)
        for f in Project._meta.concrete_fields
        if f.name not in {"id", "code", "status", "finished_date", "created_at", "name"}
    }
    copy = project_save(
        tenant=tenant,
        by=by,
        project=Project(**fields, name=name),
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


# --- Events -------------------------------------------------------------------------------------


@transaction.atomic
def event_save(*, tenant, by, event: PrivateEvent) -> PrivateEvent:
    """Create or update a private event; an event without a title takes its course's name."""
    require_active(tenant)
    event.tenant = tenant
    check_tenant(tenant, event.project, event.product, event.discount_agreement)
    if not (event.title or "").strip() and event.product_id:
        event.title = event.product.name
    project = Project.objects.get(pk=event.project_id)  # its status now, not as loaded
    if not event.pk and not project.is_active:
        raise ValidationError(
            f"{project} is {project.get_status_display().lower()}: no new events can be added."
        )
    for field in ("trainer_fee", "venue_cost", "other_cost"):
        setattr(event, field, round_money(getattr(event, field), event.project.currency))
    event.full_clean()
    event.save()
    return event


# --- Budgets ------------------------------------------------------------------------------------


def committed_usage(project: Project, product_id: int) -> tuple[int | None, Decimal]:
    """The booking's committed quantity of a product, and how much of it is requested.

    Commitments belong to the framework agreement, so every project on the booking uses them.
    """
    if not project.booking_id:
        return None, Decimal(0)
    interest = Interest.objects.filter(booking_id=project.booking_id, product_id=product_id).first()
    if interest is None or interest.committed_quantity is None:
        return None, Decimal(0)
    places = (
        Registration.objects.filter(
            ACTIVE_REGISTRATION,
            project__booking_id=project.booking_id,
            event__product_id=product_id,
        ).aggregate(n=Sum("places"))["n"]
        or 0
    )
    quantity = (
        Item.objects.filter(
            project__booking_id=project.booking_id, product_id=product_id
        ).aggregate(n=Sum("quantity"))["n"]
        or 0
    )
    return interest.committed_quantity, Decimal(places) + Decimal(quantity)


def purchase_order_used(order: PurchaseOrder, *, exclude: Registration | Item | None = None):
    registrations = Registration.objects.filter(ACTIVE_REGISTRATION, purchase_order=order)
    items = Item.objects.filter(purchase_order=order)
    if isinstance(exclude, Registration):
        registrations = registrations.exclude(pk=exclude.pk)
    elif isinstance(exclude, Item):
        items = items.exclude(pk=exclude.pk)
    total = Decimal(0)
    for queryset in (registrations, items):
        total += queryset.aggregate(total=Sum("net_amount"))["total"] or Decimal(0)
    return total


def _budget_problems(
    project: Project,
    product,
    quantity: Decimal,
    value: Decimal,
    purchase_order: PurchaseOrder | None,
) -> list[str]:
    problems = []
    committed, used = committed_usage(project, product.pk)
    if committed is not None and used + quantity > committed:
        problems.append(
            f"{product.code}: the booking commits {committed}; {used.normalize():f} are requested "
            f"already, so {quantity.normalize():f} more would make "
            f"{(used + quantity).normalize():f}."
        )
    if purchase_order is not None and purchase_order.value_cap is not None:
        used_value = purchase_order_used(purchase_order)
        if used_value + value > purchase_order.value_cap:
            left = purchase_order.value_cap - used_value
            problems.append(
                f"Purchase order {purchase_order.number} has {left:,.2f} {project.currency} "
                f"left of {purchase_order.value_cap:,.2f}; this adds {value:,.2f}."
            )
    return problems


def _apply_budget_policy(project: Project, problems: list[str], warnings: list[str]) -> None:
    if not problems or project.budget_policy == BudgetPolicy.NONE:
        return
    if project.budget_policy == BudgetPolicy.DISALLOW:
        raise ValidationError([*problems, "The project's budget policy refuses this."])
    warnings.extend(problems)


# --- Registrations and items --------------------------------------------------------------------


def _require_transactions_allowed(project: Project) -> None:
    if not project.is_active:
        raise ValidationError(
            f"{project} is {project.get_status_display().lower()}: no new "
            "registrations or items can be added."
        )


def _check_purchase_order(project, purchase_order, po_reference):
    if purchase_order is not None and purchase_order.project_id != project.pk:
        raise ValidationError("Choose a purchase order of this project.")
    if project.require_purchase_order and purchase_order is None and not po_reference.strip():
        raise ValidationError(
            "This project requires a purchase order: choose one or enter the customer's reference."
        )


def _learner_accounts(project: Project) -> set[int]:
    return {
        project.account_id,
        *Account.objects.filter(parent_id=project.account_id).values_list("pk", flat=True),
    }


@transaction.atomic
def registrations_add(
    *,
    tenant,
    by,
    project: Project,
    event: PrivateEvent,
    learners: Sequence[Contact | None],
    places: int = 1,
    requested_date: datetime.date | None = None,
    purchase_order: PurchaseOrder | None = None,
    po_reference: str = "",
    discount_agreement=AUTO,
    prepurchase=None,
    notes: str = "",
    confirm: bool = False,
) -> list[Registration]:
    """Register named learners (one place each) or a block of `places` without names.

    Warnings (event full, discount places, budget under 'warning') raise NeedsConfirmation
    unless `confirm` is set; the 'disallow' budget policy refuses with the numbers.
    """
    require_active(tenant)
    check_tenant(tenant, project, event, purchase_order, prepurchase, *learners)
    project = Project.objects.select_for_update().get(pk=project.pk)
    _require_transactions_allowed(project)
    if event.project_id != project.pk:
        raise ValidationError("Choose an event of this project.")
    _check_purchase_order(project, purchase_order, po_reference)
    named = [learner for learner in learners if learner is not None]
    allowed_accounts = _learner_accounts(project)
    for learner in named:
        if learner.account_id not in allowed_accounts:
            raise ValidationError(f"{learner} is not a contact of {project.account.name}.")
    rows = [(learner, 1) for learner in named] or [(None, max(1, int(places)))]
    total_places = sum(count for _, count in rows)
    day = requested_date or timezone.localdate()

    if prepurchase is not None:
        prepurchase = PrepurchaseAgreement.objects.select_related("price_list").get(
            pk=prepurchase.pk
        )  # as it is now (status, dates), not as the caller loaded it
        if prepurchase.account_id not in allowed_accounts:
            raise ValidationError(f"{prepurchase} belongs to another customer.")
        # Paid from a prepurchase agreement: priced by the agreement (its price list, less its
        # own discount), the same rule invoicing reads. A discount agreement's percentage does
        # not stack on it: the agreement's discount is the one taken.
        paid_from = resolve_prepurchase_price(
            agreement=prepurchase, product=event.product, on_date=day, currency=project.currency
        )
        if discount_agreement not in (AUTO, None):
            raise ValidationError(
                f"A place paid from {prepurchase} takes the agreement's own discount "
                f"({format_percent(paid_from.discount_percent)} %); {discount_agreement} does "
                "not add to it: choose the automatic discount or none, or register without the "
                "prepurchase agreement."
            )
        quote, discount = paid_from.quote, None
        discount_percent = paid_from.discount_percent
    else:
        quote = resolve_price(
            account=project.account,
            product=event.product,
            on_date=day,
            booking=project.booking,
            currency=project.currency,
            event_discount_ids=[event.discount_agreement_id] if event.discount_agreement_id else [],
        )
        if discount_agreement is AUTO:
            discount = quote.best_discount
        elif discount_agreement is None:
            discount = None
        else:
            if discount_agreement not in quote.discounts:
                raise ValidationError(
                    f"{discount_agreement} does not apply to this customer, course and date."
                )
            discount = discount_agreement
        discount_percent = discount.percent if discount else Decimal(0)

    warnings: list[str] = []
    if event.capacity is not None:
        taken = (
            Registration.objects.filter(ACTIVE_REGISTRATION, event=event).aggregate(
                n=Sum("places")
            )["n"]
            or 0
        )
        if taken + total_places > event.capacity:
            warnings.append(
                f"{event.title} is full: {taken} of {event.capacity} places are "
                f"taken and {total_places} more are asked for."
            )
    if discount is not None and discount.max_places is not None:
        check = check_places(
            agreement=discount, account=project.account, places=total_places, event_id=event.pk
        )
        if check.exceeds:
            warnings.append(check.warning)
    value = line_net(total_places, quote.unit_price, discount_percent, project.currency)
    _apply_budget_policy(
        project,
        _budget_problems(project, event.product, Decimal(total_places), value, purchase_order),
        warnings,
    )
    if warnings and not confirm:
        raise NeedsConfirmation(warnings)

    created = []
    for learner, count in rows:
        registration = Registration(
            tenant=tenant,
            project=project,
            event=event,
            learner=learner,
            places=count,
            requested_date=day,
            purchase_order=purchase_order,
            po_reference=po_reference.strip(),
            unit_price=quote.unit_price,
            price_source=quote.source,
            discount_agreement=discount,
            discount_percent=discount_percent,
            prepurchase=prepurchase,
            unit_cost=round_money(event.product.unit_cost, project.currency),
            notes=notes,
            net_amount=line_net(count, quote.unit_price, discount_percent, project.currency),
        )
        registration.full_clean()
        created.append(registration)
    return Registration.objects.bulk_create(created)


@transaction.atomic
def registration_update(*, tenant, by, registration: Registration, **fields) -> Registration:
    """Change learner, status, purchase order or notes of one registration."""
    require_active(tenant)
    check_tenant(tenant, registration)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    allowed = {"learner", "status", "purchase_order", "po_reference", "notes", "requested_date"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"registration_update cannot change {', '.join(sorted(unknown))}")
    if "status" in fields:
        _check_registration_status(registration, fields["status"])
    for name, value in fields.items():
        setattr(registration, name, value)
    check_tenant(tenant, registration.learner, registration.purchase_order)
    registration.full_clean()
    registration.save()
    return registration


def _check_registration_status(registration: Registration, status: str) -> None:
    if status not in RegistrationStatus.values:
        raise ValidationError("Choose one of the listed statuses.")
    if registration.invoiced and status in (
        RegistrationStatus.CANCELLED,
        RegistrationStatus.REQUESTED,
    ):
        raise ValidationError(f"{registration} is invoiced: credit it before cancelling it.")


@transaction.atomic
def registrations_set_status(
    *, tenant, by, project: Project, ids: Iterable[int], status: str
) -> StatusChange:
    """Bulk status change (e.g. mark delivered) of the selected registrations of one project.

    When this leaves every place of an event delivered (or a no-show), the event is marked
    delivered too, so its delivery cost is recognised at once (`projects.billing`)."""
    require_active(tenant)
    check_tenant(tenant, project)
    registrations = list(
        Registration.objects.select_for_update().filter(project=project, pk__in=list(ids))
    )
    if not registrations:
        raise ValidationError("Select at least one registration.")
    for registration in registrations:
        _check_registration_status(registration, status)
    Registration.objects.filter(pk__in=[r.pk for r in registrations]).update(status=status)
    completed = []
    if status in COSTED_STATUSES:
        open_places = Registration.objects.filter(event=OuterRef("pk")).exclude(
            status__in=[*COSTED_STATUSES, RegistrationStatus.CANCELLED]
        )
        completed = list(
            PrivateEvent.objects.filter(pk__in={r.event_id for r in registrations})
            .exclude(status__in=[EventStatus.DELIVERED, EventStatus.CANCELLED])
            .exclude(Exists(open_places))
            .order_by("start_date", "pk")
        )
        PrivateEvent.objects.filter(pk__in=[event.pk for event in completed]).update(
            status=EventStatus.DELIVERED
        )
        for event in completed:
            audit(
                tenant=tenant,
                actor=by,
                action="event delivered",
                obj=project,
                before={"event": event.title, "status": event.status},
                after={"event": event.title, "status": EventStatus.DELIVERED},
            )
    return StatusChange(count=len(registrations), events_delivered=completed)


@dataclass(frozen=True)
class StatusChange:
    count: int
    events_delivered: list  # events whose last open place this change delivered


@transaction.atomic
def price_override(*, tenant, by, row: Registration | Item, unit_price, reason: str):
    """Override a stored price, with a reason, until the row is invoiced."""
    require_active(tenant)
    check_tenant(tenant, row)
    model = type(row)
    row = model.objects.select_for_update().select_related("project").get(pk=row.pk)
    if row.invoiced:
        raise ValidationError("The price is on an invoice already: credit the line to change it.")
    if not reason.strip():
        raise ValidationError("Say why the price is overridden.")
    try:
        price = round_money(Decimal(unit_price), row.project.currency)
    except (ArithmeticError, TypeError, ValueError):
        raise ValidationError("Enter the price as a number, e.g. 950.00.") from None
    if price < 0:
        raise ValidationError("A price cannot be negative.")
    before = {"unit_price": row.unit_price, "net_amount": row.net_amount}
    row.unit_price = price
    row.price_overridden = True
    row.override_reason = reason.strip()
    if isinstance(row, Registration):
        row.net_amount = line_net(row.places, price, row.discount_percent, row.project.currency)
    else:
        row.net_amount = line_net(row.quantity, price, 0, row.project.currency)
    row.save(update_fields=["unit_price", "price_overridden", "override_reason", "net_amount"])
    audit(
        tenant=tenant,
        actor=by,
        action="price overridden",
        obj=row,
        before=before,
        after={
            "unit_price": row.unit_price,
            "net_amount": row.net_amount,
            "reason": row.override_reason,
        },
    )
    return row


@transaction.atomic
def item_add(
    *,
    tenant,
    by,
    project: Project,
    product,
    date: datetime.date,
    quantity,
    description: str = "",
    purchase_order: PurchaseOrder | None = None,
    po_reference: str = "",
    billable: bool = True,
    notes: str = "",
    confirm: bool = False,
) -> Item:
    require_active(tenant)
    check_tenant(tenant, project, product, purchase_order)
    project = Project.objects.select_for_update().get(pk=project.pk)
    _require_transactions_allowed(project)
    _check_purchase_order(project, purchase_order, po_reference)
    if product.kind == ProductKind.LEARNING_PATH:
        raise ValidationError(
            "Learning paths are pre-arranged offerings and never part of a project."
        )
    quantity = Decimal(quantity)
    quote = resolve_price(
        account=project.account,
        product=product,
        on_date=date,
        booking=project.booking,
        currency=project.currency,
    )
    value = line_net(quantity, quote.unit_price, 0, project.currency) if billable else 0
    warnings: list[str] = []
    _apply_budget_policy(
        project,
        _budget_problems(project, product, quantity, Decimal(value), purchase_order),
        warnings,
    )
    if warnings and not confirm:
        raise NeedsConfirmation(warnings)
    item = Item(
        tenant=tenant,
        project=project,
        product=product,
        date=date,
        quantity=quantity,
        description=description or product.name,
        purchase_order=purchase_order,
        po_reference=po_reference.strip(),
        billable=billable,
        notes=notes,
        unit_price=quote.unit_price,
        price_source=quote.source,
        unit_cost=round_money(product.unit_cost, project.currency),
        net_amount=line_net(quantity, quote.unit_price, 0, project.currency),
    )
    item.full_clean()
    item.save()
    return item


def discount_places_used(
    agreement: DiscountAgreement, account: Account, event_id: int | None
) -> int:
    """Places a customer took under a discount agreement (registered with agreements.pricing)."""
    registrations = Registration.objects.filter(
        ACTIVE_REGISTRATION, discount_agreement=agreement, project__account=account
    )
    if event_id is not None:
        registrations = registrations.filter(event_id=event_id)
    return registrations.aggregate(n=Sum("places"))["n"] or 0
