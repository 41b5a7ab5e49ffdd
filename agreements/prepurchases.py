"""Prepurchase agreements and their ledger (DESIGN.md, "Prepurchase agreements"): charges, each
with its own expiry date; uses, which draw on the oldest unexpired charge first; reversals;
write-offs of what expired; extensions of an expiry date. `agreements.services` re-exports every
name, so callers import them from there as before.

Every ledger row is written once and never edited. What a row took from each charge is recorded
beside it (`PrepurchaseAllocation`), so each charge's remainder is exact: a use draws on the
charges usable on its date, oldest expiry first, then the oldest purchase (charges that never
expire last); the part no charge covers goes into the overdraft, and the next charge (or units
given back) pays it first. A reversal gives back to the charges the row took from: what comes
back to an expired charge is expired too. The figures every page shows and every use is checked
against are `agreements.selectors.prepurchase_figures`.

Expiry is by date at read time: nothing runs at midnight. A charge is usable on its expiry day
and expired from the day after.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext

from accounts.platform.audit import audit
from accounts.platform.guards import check_tenant, require_active
from accounts.platform.money import round_money
from accounts.platform.sequences import next_number
from agreements import selectors
from agreements.models import (
    LedgerKind,
    PrepurchaseAgreement,
    PrepurchaseAllocation,
    PrepurchaseEntry,
    PrepurchaseStatus,
    PrepurchaseUnit,
)
from agreements.selectors import (  # noqa: F401  (re-exported by agreements.services)
    ZERO,
    EntryWriters,
    entry_writers,
    invoice_written_uses,
)

PREPURCHASE_NUMBER_START = 1

# `prepurchase_charge(expires_on=...)` left out: the agreement's default validity applies.
AGREEMENT_DEFAULT = object()


def _day(value: datetime.date) -> str:
    return f"{value:%d %b %Y}"


@transaction.atomic
def prepurchase_save(*, tenant, by, agreement: PrepurchaseAgreement) -> PrepurchaseAgreement:
    from agreements.services import _save  # the app's one save helper

    if not agreement.pk:
        agreement.number = next_number(
            tenant=tenant, key="prepurchase", start=PREPURCHASE_NUMBER_START
        )
    elif not agreement.charges_may_expire:
        dated = PrepurchaseEntry.objects.filter(
            agreement_id=agreement.pk,
            kind=LedgerKind.CHARGE,
            expires_on__isnull=False,
            reversed_by__isnull=True,
        ).count()
        if dated:
            raise ValidationError(
                {
                    "money_expires": (
                        gettext(
                            "%(dated)s charge(s) of this agreement carry an expiry date: keep "
                            "“money expires” ticked (or reverse those charges first)."
                        )
                        % {"dated": dated}
                    )
                }
            )
    return _save(tenant, agreement, agreement.account, agreement.price_list)


def _locked(agreement: PrepurchaseAgreement) -> PrepurchaseAgreement:
    """Lock the agreement row: ledger writes on one agreement happen one at a time."""
    return (
        PrepurchaseAgreement.objects.select_for_update()
        .select_related("price_list")
        .get(pk=agreement.pk)
    )


def _quantity(agreement: PrepurchaseAgreement, amount) -> Decimal:
    try:
        amount = Decimal(amount)
    except (ArithmeticError, TypeError, ValueError):
        raise ValidationError(gettext("Enter the amount as a number, e.g. 1500.00.")) from None
    if agreement.unit == PrepurchaseUnit.MONEY:
        amount = round_money(amount, agreement.currency)
    else:
        amount = amount.quantize(Decimal("0.01"))
    if amount <= 0:
        raise ValidationError(gettext("Enter an amount greater than zero."))
    return amount


def _show(agreement: PrepurchaseAgreement, value) -> str:
    """A ledger figure as people read it: the currency's decimals, or two for units."""
    if agreement.unit == PrepurchaseUnit.MONEY:
        return f"{round_money(value, agreement.currency):,} {agreement.currency}"
    return f"{Decimal(value).quantize(Decimal('0.01')):,} units"


def ledger_balance(agreement: PrepurchaseAgreement) -> Decimal:
    """Charges, less uses and write-offs, whatever has expired (`selectors.prepurchase_figures`
    splits it into available and expired)."""
    return PrepurchaseEntry.objects.filter(agreement=agreement).aggregate(total=Sum("delta"))[
        "total"
    ] or Decimal("0")


def _entry(agreement, by, **fields) -> PrepurchaseEntry:
    entry = PrepurchaseEntry(
        tenant_id=agreement.tenant_id,
        agreement=agreement,
        created_by=by,
        entry_date=fields.pop("entry_date", None) or timezone.localdate(),
        **fields,
    )
    entry.full_clean()
    entry.save()
    return entry


def _allocate(entry: PrepurchaseEntry, charge: PrepurchaseEntry, delta: Decimal) -> None:
    PrepurchaseAllocation.objects.create(
        tenant_id=entry.tenant_id, entry=entry, charge_id=charge.pk, delta=delta
    )


def _draw(entry: PrepurchaseEntry, quantity: Decimal, charges) -> Decimal:
    """Allocate `quantity` of `entry` to `charges` (usable ones, in the order to use them) and
    return what none of them covered. Lowers each charge's `available` as it goes."""
    left = quantity
    for charge in charges:
        if left <= 0:
            break
        take = min(left, charge.available)
        if take > 0:
            _allocate(entry, charge, -take)
            charge.available -= take
            left -= take
    return left


def _settle(agreement: PrepurchaseAgreement, day: datetime.date) -> None:
    """Pay what went into the overdraft from the charges usable on `day`, oldest use first: a
    top-up (or units given back) first covers the uses that no charge covered."""
    uncovered = list(
        PrepurchaseEntry.objects.filter(
            agreement=agreement, kind=LedgerKind.USE, reversed_by__isnull=True
        )
        .annotate(left=F("amount") + Coalesce(Sum("allocations__delta"), ZERO))
        .filter(left__gt=0)
        .order_by("entry_date", "pk")
    )
    if not uncovered:
        return
    charges = [c for c in selectors.prepurchase_charges(agreement, as_of=day) if c.available > 0]
    for use in uncovered:
        _draw(use, use.left, charges)


@transaction.atomic
def prepurchase_charge(
    *,
    tenant,
    by,
    agreement: PrepurchaseAgreement,
    amount,
    description="",
    on_date=None,
    expires_on=AGREEMENT_DEFAULT,
) -> PrepurchaseEntry:
    """The customer buys money or units; top-ups are possible until the end date.

    `expires_on` is the charge's last usable day (None: it never expires); left out, the
    agreement's default validity gives it. Money may expire only where the agreement says so.
    """
    require_active(tenant)
    check_tenant(tenant, agreement)
    agreement = _locked(agreement)
    day = on_date or timezone.localdate()
    if agreement.status != PrepurchaseStatus.ACTIVE:
        raise ValidationError(
            gettext("%(agreement)s is %(lower)s: nothing can be added.")
            % {"agreement": agreement, "lower": agreement.get_status_display().lower()}
        )
    if day > agreement.end_date:
        raise ValidationError(
            gettext(
                "%(agreement)s ended on %(end_date)s; top-ups are possible only until then. Start "
                "a new agreement instead."
            )
            % {"agreement": agreement, "end_date": format(agreement.end_date, "%d %b %Y")}
        )
    quantity = _quantity(agreement, amount)
    if expires_on is AGREEMENT_DEFAULT:
        expires_on = agreement.default_expiry(day)
    elif expires_on is not None:
        if not agreement.charges_may_expire:
            raise ValidationError(
                gettext(
                    "Money on %(agreement)s does not expire: leave the expiry date empty, or tick "
                    "“money expires” on the agreement first."
                )
                % {"agreement": agreement}
            )
        if expires_on < day:
            raise ValidationError(
                gettext(
                    "The charge would expire on %(expires_on)s, before its date (%(day)s): choose "
                    "a later expiry date, or leave it empty."
                )
                % {"expires_on": _day(expires_on), "day": _day(day)}
            )
    entry = _entry(
        agreement,
        by,
        kind=LedgerKind.CHARGE,
        amount=quantity,
        delta=quantity,
        description=description,
        entry_date=day,
        expires_on=expires_on,
    )
    _settle(agreement, day)
    return entry


def _refusal(agreement, figures, charges, quantity, day) -> str:
    """Why a use cannot be paid, with the figures of `day` (and what expired, and when)."""
    limit = _show(agreement, agreement.overdraft_limit)
    asked = _show(agreement, quantity)
    expired = defaultdict(Decimal)
    for charge in charges:
        if charge.expired > 0:
            expired[charge.expires_on] += charge.expired
    if not expired:
        return (
            f"{agreement} has a balance of {_show(agreement, figures['available'])} and may go "
            f"{limit} below zero: {asked} cannot be paid from it."
        )
    lapsed = ", ".join(
        f"{_show(agreement, total)} expired on {_day(when)}"
        for when, total in sorted(expired.items())
    )
    return (
        f"{agreement} has {_show(agreement, figures['available'])} available on {_day(day)} "
        f"({lapsed}: extend a charge to use them again) and may go {limit} below zero: "
        f"{asked} cannot be paid from it."
    )


@transaction.atomic
def prepurchase_use(
    *,
    tenant,
    by,
    agreement: PrepurchaseAgreement,
    amount,
    reference="",
    description="",
    on_date=None,
) -> PrepurchaseEntry:
    """Pay from what is available on the use's date; refused if it would pass the overdraft
    limit. The use draws on the oldest unexpired charges first, and records what it took.

    The agreement row is locked first, so two uses at the same moment are applied one after the
    other and the second sees the first's effect on the balance.
    """
    require_active(tenant)
    check_tenant(tenant, agreement)
    agreement = _locked(agreement)
    if agreement.status != PrepurchaseStatus.ACTIVE:
        raise ValidationError(
            gettext("%(agreement)s is %(lower)s: it cannot pay for anything.")
            % {"agreement": agreement, "lower": agreement.get_status_display().lower()}
        )
    day = on_date or timezone.localdate()
    quantity = _quantity(agreement, amount)
    figures = selectors.prepurchase_figures(agreement, as_of=day)
    if figures["usable"] < quantity:
        charges = selectors.prepurchase_charges(agreement, as_of=day)
        raise ValidationError(
            _refusal(agreement, figures, charges, quantity, day), code="overdraft"
        )
    _settle(agreement, day)  # an older use in the overdraft is paid first
    entry = _entry(
        agreement,
        by,
        kind=LedgerKind.USE,
        amount=quantity,
        delta=-quantity,
        reference=reference,
        description=description,
        entry_date=day,
    )
    usable = [c for c in selectors.prepurchase_charges(agreement, as_of=day) if c.available > 0]
    _draw(entry, quantity, usable)  # what is left goes into the overdraft
    return entry


def _charge_refusal(agreement, charge: PrepurchaseEntry) -> str | None:
    """Why a charge cannot be reversed: something taken from it was not given back."""
    allocations = PrepurchaseAllocation.objects.filter(charge=charge)
    net = allocations.aggregate(total=Sum("delta"))["total"] or Decimal("0")
    if net == 0:
        return None
    takers = (
        allocations.filter(delta__lt=0, entry__reversed_by__isnull=True)
        .values_list("entry_id", flat=True)
        .order_by("entry_id")
        .distinct()
    )
    rows = ", ".join(f"#{pk}" for pk in takers)
    return (
        f"{_show(agreement, -net)} of charge #{charge.pk} paid for or wrote off other rows "
        f"({rows}): Reverse the uses it paid for first (and its write-off), then the charge."
    )


@transaction.atomic
def prepurchase_reverse(
    *,
    tenant,
    by,
    entry: PrepurchaseEntry,
    reason: str,
    crediting_invoice: str | None = None,
) -> PrepurchaseEntry:
    """Undo a charge, a use or a write-off with a new row; the original stays as it was. A
    reversed use or write-off gives back to the charges it took from.

    A use written by an invoice line is undone only by crediting that line: the credit note
    reverses it (and releases the registration). `crediting_invoice` is how the credit path says
    so: the number of the invoice it credits, which must be the one that wrote the use.
    """
    require_active(tenant)
    check_tenant(tenant, entry)
    agreement = _locked(entry.agreement)
    entry = PrepurchaseEntry.objects.get(pk=entry.pk)
    if entry.kind == LedgerKind.REVERSAL:
        raise ValidationError(gettext("A reversal cannot be reversed: record a new charge or use."))
    if PrepurchaseEntry.objects.filter(reverses=entry).exists():
        raise ValidationError(gettext("This row has been reversed already."))
    invoice_number = invoice_written_uses([entry]).get(entry.pk)
    if invoice_number is not None and invoice_number != crediting_invoice:
        raise ValidationError(
            gettext(
                "Row #%(entry_pk)s was written by a line of invoice %(invoice_number)s: credit "
                "that line of invoice %(invoice_number)s instead (the credit note reverses this "
                "row and makes the registration invoiceable again)."
            )
            % {"entry_pk": entry.pk, "invoice_number": invoice_number}
        )
    if not reason.strip():
        raise ValidationError(gettext("Say why the row is reversed."))
    if entry.kind == LedgerKind.CHARGE:
        refusal = _charge_refusal(agreement, entry)
        balance = ledger_balance(agreement)
        if refusal is None and balance - entry.amount < -agreement.overdraft_limit:
            refusal = (
                "Reversing this charge would take the balance to "
                f"{_show(agreement, balance - entry.amount)}, past the overdraft limit of "
                f"{_show(agreement, agreement.overdraft_limit)}. Reverse the uses it paid for "
                "first."
            )
        if refusal:
            raise ValidationError(refusal)
    reversal = _entry(
        agreement,
        by,
        kind=LedgerKind.REVERSAL,
        amount=entry.amount,
        delta=-entry.delta,
        reverses=entry,
        description=reason.strip(),
    )
    taken = (
        PrepurchaseAllocation.objects.filter(entry=entry)
        .values("charge_id")
        .annotate(total=Sum("delta"))
        .order_by("charge_id")
    )
    for row in taken:
        if row["total"]:
            _allocate(reversal, PrepurchaseEntry(pk=row["charge_id"]), -row["total"])
    if entry.kind != LedgerKind.CHARGE:
        _settle(agreement, reversal.entry_date)
    return reversal


def _charge_of(agreement, charge: PrepurchaseEntry, day) -> PrepurchaseEntry:
    """The charge with its figures on `day`, as the ledger has it now."""
    for row in selectors.prepurchase_charges(agreement, as_of=day):
        if row.pk == charge.pk:
            if row.is_reversed:
                raise ValidationError(
                    gettext("Charge #%(row_pk)s has been reversed: nothing is left on it.")
                    % {"row_pk": row.pk}
                )
            return row
    raise ValidationError(
        gettext("Row #%(charge_pk)s is not a charge: only charges expire.")
        % {"charge_pk": charge.pk}
    )


@transaction.atomic
def prepurchase_charge_write_off(
    *, tenant, by, charge: PrepurchaseEntry, on_date=None
) -> PrepurchaseEntry:
    """Write off exactly what is left on an expired charge: a WRITE_OFF ledger row naming the
    charge (audited, never edited). Refused while the charge is usable, and when nothing
    expired is left on it (so it cannot run twice for the same units)."""
    require_active(tenant)
    check_tenant(tenant, charge)
    agreement = _locked(charge.agreement)
    day = on_date or timezone.localdate()
    row = _charge_of(agreement, charge, day)
    if not row.is_expired_on(day):
        until = f"until {_day(row.expires_on)}" if row.expires_on else "for good: it never expires"
        raise ValidationError(
            gettext(
                "Charge #%(row_pk)s is usable %(until)s; only what is left once it has expired can "
                "be written off."
            )
            % {"row_pk": row.pk, "until": until}
        )
    if row.expired <= 0:
        raise ValidationError(
            gettext(
                "Nothing expired is left on charge #%(row_pk)s: its %(amount)s were used or "
                "written off already."
            )
            % {"row_pk": row.pk, "amount": _show(agreement, row.amount)}
        )
    write_off = _entry(
        agreement,
        by,
        kind=LedgerKind.WRITE_OFF,
        amount=row.expired,
        delta=-row.expired,
        charge=row,
        entry_date=day,
        description=f"Expired remainder of charge #{row.pk} (expired {_day(row.expires_on)})",
    )
    _allocate(write_off, row, -row.expired)
    audit(
        tenant=tenant,
        actor=by,
        action="prepurchase remainder written off",
        obj=write_off,
        after={
            "agreement": str(agreement),
            "charge": row.pk,
            "expired_on": row.expires_on,
            "amount": row.expired,
        },
    )
    return write_off


@transaction.atomic
def prepurchase_charge_extend(
    *, tenant, by, charge: PrepurchaseEntry, expires_on: datetime.date, reason: str
) -> PrepurchaseEntry:
    """Move a charge's expiry date later: what is left on it is usable until then (and, if an
    older use went into the overdraft, pays for that first). Only the date changes, audited with
    the old and new dates and the reason; the ledger's amounts never do."""
    require_active(tenant)
    check_tenant(tenant, charge)
    agreement = _locked(charge.agreement)
    today = timezone.localdate()
    row = _charge_of(agreement, charge, today)
    if row.expires_on is None:
        raise ValidationError(
            gettext("Charge #%(row_pk)s never expires: there is nothing to extend.")
            % {"row_pk": row.pk}
        )
    if expires_on is None or expires_on <= row.expires_on:
        raise ValidationError(
            gettext(
                "Choose a date after %(expires_on)s: an extension moves the expiry date later, "
                "never earlier."
            )
            % {"expires_on": _day(row.expires_on)}
        )
    if not (reason or "").strip():
        raise ValidationError(gettext("Say why the charge is extended (for the audit trail)."))
    PrepurchaseEntry.objects.filter(pk=row.pk).move_expiry(expires_on)
    audit(
        tenant=tenant,
        actor=by,
        action="prepurchase charge extended",
        obj=row,
        before={"expires_on": row.expires_on},
        after={"expires_on": expires_on, "reason": reason.strip(), "remainder": row.remainder},
    )
    _settle(agreement, today)
    return PrepurchaseEntry.objects.get(pk=row.pk)
