"""Cancelling a place, a learner who did not come, and transferring a place, under the terms of
the project's agreement (`agreements.cancellations`: the bands, the no-show fee, the free-transfer
deadline).

A fee is left as an item of the project (`Item.fee_kind`, `Item.fee_for`): billed at once, on its
own kind of invoice line, with the rule in its description, and counted in the reports like any
item. A place already invoiced is credited in the same transaction (through `registration_credit`,
which `invoicing` provides), so the customer gets one credit for the place and one line for the
fee, never both the place and the fee.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext

from accounts.platform.audit import audit
from accounts.platform.guards import check_tenant, require_active
from accounts.platform.registry import Hook
from agreements import cancellations as terms_rules
from agreements.pricing import PriceSource
from projects.models import (
    EventStatus,
    FeeKind,
    Item,
    PrivateEvent,
    Project,
    ProjectStatus,
    Registration,
    RegistrationStatus,
)
from projects.services.budgets import ACTIVE_REGISTRATION
from projects.services.events import deliver_completed_events
from projects.services.rows import learner_accounts

# (tenant, by, registration, reason) -> the numbers of the credit notes issued for its place(s)
RegistrationCredit = Callable[..., list[str]]
registration_credit: Hook[RegistrationCredit] = Hook("registration credit")

CANCELLABLE = (RegistrationStatus.REQUESTED, RegistrationStatus.CONFIRMED)


@dataclass(frozen=True)
class CancellationQuote:
    """What cancelling (or marking a no-show) would do, shown before the user confirms."""

    registration: Registration
    fee: terms_rules.Fee
    no_show: bool
    credits_invoice: bool  # the place is invoiced: it is credited in the same step


def _terms(registration: Registration) -> terms_rules.Terms:
    return terms_rules.terms_for(
        tenant=registration.tenant_id, booking=registration.project.booking
    )


def cancellation_quote(
    registration: Registration,
    *,
    on_date: datetime.date | None = None,
    no_show: bool = False,
    terms: terms_rules.Terms | None = None,
) -> CancellationQuote:
    """The fee the terms charge for cancelling `registration` on `on_date` (today) or for its
    learner not coming, with the rule that says so. `terms`: the project's, when a page quotes
    many places of one project (read once, not per place)."""
    on_date = on_date or timezone.localdate()
    terms = terms or _terms(registration)
    currency = registration.project.currency
    if no_show:
        fee = terms_rules.no_show_fee(terms, price=registration.net_amount, currency=currency)
    else:
        fee = terms_rules.cancellation_fee(
            terms,
            price=registration.net_amount,
            currency=currency,
            start=registration.event.start_date,
            on_date=on_date,
        )
    return CancellationQuote(
        registration=registration,
        fee=fee,
        no_show=no_show,
        credits_invoice=registration.invoiced and not _keeps_invoice(registration, fee, no_show),
    )


def _keeps_invoice(registration: Registration, fee, no_show: bool) -> bool:
    """A no-show billed in full whose every place is on an invoice already: that invoice is the
    charge (a place on a draft is refused by `registration_credit` until taken off it)."""
    return (
        no_show
        and fee.percent >= 100
        and registration.invoiced
        and Decimal(registration.billed_quantity) == Decimal(registration.places)
    )


def _locked(registration: Registration) -> Registration:
    """The registration, locked after its project (the order drafting locks them in, so a
    cancellation and a draft of the same place wait for each other instead of deadlocking or
    both going ahead); refused on a finished project."""
    project = Project.objects.select_for_update().get(pk=registration.project_id)
    if project.status == ProjectStatus.FINISHED:
        raise ValidationError(
            gettext(
                "%(project)s is finished: reopen it (Status) to cancel places or mark no-shows, so "
                "that a fee can still be invoiced."
            )
            % {"project": project}
        )
    return (
        Registration.objects.select_for_update(of=("self",))
        .select_related("project__booking", "event__product", "learner")
        .get(pk=registration.pk)
    )


def _not_in_future(on_date: datetime.date | None, what: str) -> None:
    if on_date is not None and on_date > timezone.localdate():
        raise ValidationError(
            gettext("%(what)s today or on a past day, never in the future.") % {"what": what}
        )


@transaction.atomic
def registration_cancel(
    *,
    tenant,
    by,
    registration: Registration,
    on_date: datetime.date | None = None,
    expected_fee: Decimal | None = None,
    may_credit: bool = True,
) -> CancellationQuote:
    """Cancel a requested or confirmed place under the agreement's terms: the fee of the band
    the cancellation falls in is left as a billable item, and a place already invoiced is
    credited in the same step (`may_credit`: the user may issue credit notes). `expected_fee`:
    the fee the user was shown; if the terms now say otherwise (a day passed, the terms
    changed), nothing is done and the user sees the new fee."""
    require_active(tenant)
    check_tenant(tenant, registration)
    _not_in_future(on_date, "A place is cancelled")
    registration = _locked(registration)
    if registration.status not in CANCELLABLE:
        raise ValidationError(
            gettext(
                "%(registration)s is %(lower)s: only requested or confirmed places can be "
                "cancelled."
            )
            % {"registration": registration, "lower": registration.get_status_display().lower()}
        )
    quote = cancellation_quote(registration, on_date=on_date)
    _check_expected(quote, expected_fee)
    _check_may_credit(quote, may_credit)
    _settle(tenant, by, quote, status=RegistrationStatus.CANCELLED, on_date=on_date)
    return quote


@transaction.atomic
def registration_mark_no_show(
    *,
    tenant,
    by,
    registration: Registration,
    on_date: datetime.date | None = None,
    expected_fee: Decimal | None = None,
    may_credit: bool = True,
) -> CancellationQuote:
    """The learner did not come: the place counts as held (its cost counts) and is billed per
    the no-show rule. At 100 % an invoiced place stays invoiced as it is; below, the invoiced
    place is credited and the fee billed instead; a place not invoiced leaves the fee, dated
    `on_date` (today)."""
    require_active(tenant)
    check_tenant(tenant, registration)
    _not_in_future(on_date, "A no-show is recorded")
    registration = _locked(registration)
    if registration.status not in (*CANCELLABLE, RegistrationStatus.DELIVERED):
        raise ValidationError(
            gettext("%(registration)s is %(lower)s: it cannot be a no-show.")
            % {"registration": registration, "lower": registration.get_status_display().lower()}
        )
    day = on_date or timezone.localdate()
    if registration.event.start_date > day:
        raise ValidationError(
            gettext(
                "%(event)s starts on %(start_date)s: a learner is a no-show once it has started. "
                "Before that, cancel the place (the cancellation bands apply)."
            )
            % {
                "event": registration.event,
                "start_date": format(registration.event.start_date, "%d %b %Y"),
            }
        )
    quote = cancellation_quote(registration, no_show=True)
    _check_expected(quote, expected_fee)
    _check_may_credit(quote, may_credit)
    _settle(tenant, by, quote, status=RegistrationStatus.NO_SHOW, on_date=on_date)
    return quote


def _check_expected(quote: CancellationQuote, expected_fee) -> None:
    if expected_fee is not None and Decimal(expected_fee) != quote.fee.amount:
        raise ValidationError(
            gettext(
                "The fee is now %(amount)s %(currency)s (%(rule)s), not %(expected_fee)s: look at "
                "it again and confirm."
            )
            % {
                "amount": format(quote.fee.amount, ",.2f"),
                "currency": quote.registration.project.currency,
                "rule": quote.fee.rule,
                "expected_fee": format(Decimal(expected_fee), ",.2f"),
            }
        )


def _check_may_credit(quote: CancellationQuote, may_credit: bool) -> None:
    if quote.credits_invoice and not may_credit:
        raise ValidationError(
            gettext(
                "%(registration)s is invoiced: settling it credits the invoice, which finance or "
                "an admin does. Ask them to cancel it."
            )
            % {"registration": quote.registration}
        )


def _settle(tenant, by, quote: CancellationQuote, *, status: str, on_date=None) -> None:
    registration = quote.registration
    day = on_date or timezone.localdate()
    credit_notes: list[str] = []
    keeps_invoice = _keeps_invoice(registration, quote.fee, quote.no_show)
    if keeps_invoice and registration_credit.function is not None:
        # Every place is invoiced; refused if some of it is on a draft (taken off it first).
        registration_credit.function(
            tenant=tenant, by=by, registration=registration, reason="", check_only=True
        )
    if registration.invoiced and not keeps_invoice:
        if registration_credit.function is None:
            raise ValidationError(
                gettext("%(registration)s is invoiced: credit it before cancelling it.")
                % {"registration": registration}
            )
        credit_notes = registration_credit.function(
            tenant=tenant,
            by=by,
            registration=registration,
            reason=(
                gettext("No-show: %(rule)s") if quote.no_show else gettext("Cancelled: %(rule)s")
            )
            % {"rule": quote.fee.rule},
        )
        registration.refresh_from_db(fields=["invoiced", "billed_quantity"])
    before = {"status": registration.status}
    registration.status = status
    if status == RegistrationStatus.CANCELLED:
        registration.cancelled_on = day
    registration.save(update_fields=["status", "cancelled_on"])
    fee_item = None
    if not quote.fee.is_free and not keeps_invoice:
        fee_item = _fee_item(tenant, quote, day)
    audit(
        tenant=tenant,
        actor=by,
        action="registration no-show" if quote.no_show else "registration cancelled",
        obj=registration.project,
        before={"registration": str(registration), **before},
        after={
            "registration": str(registration),
            "status": status,
            "fee": quote.fee.amount,
            "rule": quote.fee.rule,
            "credit_notes": ", ".join(credit_notes),
            "fee_item": fee_item.pk if fee_item else None,
        },
    )
    if status == RegistrationStatus.NO_SHOW:
        _deliver_event_if_complete(tenant, by, registration.event)


def _fee_item(tenant, quote: CancellationQuote, day: datetime.date) -> Item:
    registration = quote.registration
    event = registration.event
    kind = FeeKind.NO_SHOW if quote.no_show else FeeKind.CANCELLATION
    who = (
        registration.learner.full_name
        if registration.learner_id
        else f"{registration.places} place{'s' if registration.places != 1 else ''}"
    )
    item = Item(
        tenant=tenant,
        project=registration.project,
        product=event.product,
        date=day,
        quantity=Decimal(1),
        description=(
            f"{FeeKind(kind).label}: {event.title}, {event.start_date:%d %b %Y}, {who} — "
            f"{quote.fee.rule}"
        )[:255],
        purchase_order=registration.purchase_order,
        po_reference=registration.po_reference,
        billable=True,
        unit_price=quote.fee.amount,
        price_source=PriceSource.TERMS,
        unit_cost=Decimal(0),
        net_amount=quote.fee.amount,
        fee_kind=kind,
        fee_for=registration,
    )
    item.full_clean()
    item.save()
    return item


def _deliver_event_if_complete(tenant, by, event: PrivateEvent) -> None:
    """Once no place of an event is still open, the event is delivered (its cost counts)."""
    deliver_completed_events(tenant=tenant, by=by, event_ids=[event.pk])


@transaction.atomic
def registration_transfer(
    *,
    tenant,
    by,
    registration: Registration,
    learner=None,
    event: PrivateEvent | None = None,
    on_date: datetime.date | None = None,
) -> Registration:
    """Hand a place to another learner of the customer, or move it to a later event of the same
    course, for free until the terms' deadline. The place keeps its price and its invoice
    history (it is the same registration; its lines stay where they are)."""
    require_active(tenant)
    check_tenant(tenant, registration, learner, event)
    registration = _locked(registration)
    if registration.status not in CANCELLABLE:
        raise ValidationError(
            gettext(
                "%(registration)s is %(lower)s: only requested or confirmed places can be "
                "transferred."
            )
            % {"registration": registration, "lower": registration.get_status_display().lower()}
        )
    if learner is None and event is None:
        raise ValidationError(gettext("Choose the learner or the event the place goes to."))
    day = on_date or timezone.localdate()
    terms = _terms(registration)
    deadline = terms_rules.transfer_deadline(terms, registration.event.start_date)
    if day > deadline:
        raise ValidationError(
            gettext(
                "Free transfers of places on %(event)s end on %(deadline)s (%(source)s). Cancel "
                "the place instead (the cancellation fee applies), or register the new learner as "
                "a new place."
            )
            % {
                "event": registration.event,
                "deadline": format(deadline, "%d %b %Y"),
                "source": terms.source,
            }
        )
    before = {"learner": str(registration.learner or "—"), "event": str(registration.event)}
    if learner is not None:
        if learner.account_id not in learner_accounts(registration.project):
            raise ValidationError(
                gettext("%(learner)s is not a contact of the customer.") % {"learner": learner}
            )
        if registration.places != 1:
            raise ValidationError(
                gettext("A block of places has no names: transfer named places only.")
            )
        registration.learner = learner
    if event is not None:
        current = registration.event
        if event.project_id != registration.project_id:
            raise ValidationError(gettext("Choose an event of this project."))
        if event.product_id != current.product_id:
            raise ValidationError(
                gettext(
                    "%(event)s is another course: a transfer keeps the course and its price. "
                    "Cancel the place and register on the other course instead."
                )
                % {"event": event}
            )
        if event.start_date <= current.start_date or event.pk == current.pk:
            raise ValidationError(
                gettext("Choose an event that starts after %(start_date)s.")
                % {"start_date": current.start_date}
            )
        if event.status == EventStatus.CANCELLED:
            raise ValidationError(
                gettext("%(event)s is cancelled: choose another event.") % {"event": event}
            )
        if event.capacity is not None:
            taken = (
                Registration.objects.filter(ACTIVE_REGISTRATION, event=event).aggregate(
                    n=Sum("places")
                )["n"]
                or 0
            )
            if taken + registration.places > event.capacity:
                raise ValidationError(
                    gettext(
                        "%(event)s is full: %(taken)s of %(capacity)s places are taken. Raise its "
                        "capacity first, or choose another event."
                    )
                    % {"event": event, "taken": taken, "capacity": event.capacity}
                )
        registration.event = event
    registration.full_clean()
    registration.save(update_fields=["learner", "event"])
    audit(
        tenant=tenant,
        actor=by,
        action="registration transferred",
        obj=registration.project,
        before=before,
        after={"learner": str(registration.learner or "—"), "event": str(registration.event)},
    )
    return registration


@transaction.atomic
def registrations_cancel(
    *,
    tenant,
    by,
    project: Project,
    ids: Iterable[int],
    no_show: bool = False,
    on_date: datetime.date | None = None,
    expected_fees: dict[int, Decimal | None] | None = None,
    may_credit: bool = True,
) -> list[CancellationQuote]:
    """Cancel (or mark no-show) several places of a project at once, each under the terms: all
    or none. `expected_fees`: {registration id: the fee the user was shown}."""
    rows = list(Registration.objects.filter(project=project, pk__in=list(ids)).order_by("pk"))
    if not rows:
        raise ValidationError(gettext("Select at least one registration."))
    expected_fees = expected_fees or {}
    service = registration_mark_no_show if no_show else registration_cancel
    return [
        service(
            tenant=tenant,
            by=by,
            registration=row,
            on_date=on_date,
            expected_fee=expected_fees.get(row.pk),
            may_credit=may_credit,
        )
        for row in rows
    ]
