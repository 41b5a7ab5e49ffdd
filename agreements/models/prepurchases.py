"""Prepurchase agreements: money or training units bought ahead, their ledger and which charge
each use draws on."""

import calendar
import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from accounts.platform.tenancy import TenantManager, TenantOwned, tenant_reverse
from agreements.models.catalogue import (
    NOT_NEGATIVE,
    PERCENT,
    PriceList,
)
from agreements.models.contracts import PrepurchaseUnit


class PrepurchaseStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class ChargeValidity(models.TextChoices):
    """How long a charge stays usable, unless its own expiry date says otherwise."""

    NONE = "none", _("Never expires")
    MONTHS = "months", _("A number of months after purchase")
    AGREEMENT_END = "agreement_end", _("At the agreement's end")


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later (the month's last day where it has no such day)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return day.replace(year=year, month=month, day=min(day.day, last))


class PrepurchaseAgreement(TenantOwned):
    """Money or training units a customer buys up front and spends on registrations."""

    number = models.PositiveIntegerField(editable=False)
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="prepurchases", verbose_name=_("customer")
    )
    price_list = models.ForeignKey(PriceList, on_delete=models.PROTECT, related_name="prepurchases")
    name = models.CharField(max_length=150)
    discount_percent = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("0"), validators=PERCENT
    )
    unit = models.CharField(
        max_length=15, choices=PrepurchaseUnit.choices, default=PrepurchaseUnit.MONEY
    )
    start_date = models.DateField()
    end_date = models.DateField()
    overdraft_limit = models.DecimalField(
        max_digits=14,
        decimal_places=3,
        default=Decimal("0"),
        validators=NOT_NEGATIVE,
        help_text=_("How far the balance may go below zero."),
    )
    status = models.CharField(
        max_length=10, choices=PrepurchaseStatus.choices, default=PrepurchaseStatus.ACTIVE
    )
    notes = models.TextField(blank=True)
    # Expiry (issue 14, part 5): each charge carries its own expiry date; these prefill it.
    charge_validity = models.CharField(
        _("charges expire"),
        max_length=15,
        choices=ChargeValidity.choices,
        default=ChargeValidity.NONE,
        help_text=_("Prefills each charge's expiry date; a charge's own date can differ."),
    )
    validity_months = models.PositiveSmallIntegerField(
        _("months of validity"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
        help_text=_("With “a number of months after purchase”: usable until the same day then."),
    )
    money_expires = models.BooleanField(
        _("money expires"),
        default=False,
        help_text=_(
            "Money agreements only: whether money charges may carry an expiry date "
            "(training units always may)."
        ),
    )

    class Meta:
        ordering = ["-start_date", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="prepurchase_unique_number"),
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="prepurchase_end_after_start",
                violation_error_message=_("The end date cannot be before the start date."),
            ),
        ]

    def __str__(self):
        return f"P-{self.number} {self.name}"

    def get_absolute_url(self):
        return tenant_reverse(
            "agreements:prepurchase-detail", tenant_id=self.tenant_id, kwargs={"pk": self.pk}
        )

    @property
    def currency(self):
        return self.price_list.currency

    @property
    def unit_label(self):
        return "units" if self.unit == PrepurchaseUnit.TRAINING_UNITS else self.currency

    @property
    def charges_may_expire(self) -> bool:
        """Training units always may; money only where the agreement says so."""
        return self.unit == PrepurchaseUnit.TRAINING_UNITS or self.money_expires

    def default_expiry(self, bought_on: datetime.date) -> datetime.date | None:
        """The expiry date a charge bought on `bought_on` gets unless it names its own."""
        if not self.charges_may_expire or self.charge_validity == ChargeValidity.NONE:
            return None
        if self.charge_validity == ChargeValidity.AGREEMENT_END:
            return self.end_date
        return add_months(bought_on, self.validity_months or 0)

    def clean(self):
        errors = {}
        if self.account_id and self.account.tenant_id != self.tenant_id:
            errors["account"] = "Choose an account of your own company."
        if self.price_list_id and self.price_list.tenant_id != self.tenant_id:
            errors["price_list"] = "Choose a price list of your own company."
        if self.charge_validity == ChargeValidity.MONTHS and not self.validity_months:
            errors["validity_months"] = "Enter how many months a charge stays usable."
        elif self.charge_validity != ChargeValidity.MONTHS and self.validity_months:
            errors["validity_months"] = (
                "Leave empty, or choose “a number of months after purchase” above."
            )
        if self.unit == PrepurchaseUnit.TRAINING_UNITS and self.money_expires:
            errors["money_expires"] = "Untick: training units may always expire."
        elif not self.charges_may_expire and self.charge_validity != ChargeValidity.NONE:
            errors["charge_validity"] = (
                "Money does not expire on this agreement: choose “never expires”, or tick "
                "“money expires”."
            )
        if errors:
            raise ValidationError(errors)


class LedgerKind(models.TextChoices):
    CHARGE = "charge", _("Charge")
    USE = "use", _("Use")
    REVERSAL = "reversal", _("Reversal")
    WRITE_OFF = "write_off", _("Write-off")


class LedgerQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ValidationError(gettext("Ledger rows are never changed: reverse the row instead."))

    def delete(self):
        raise ValidationError(gettext("Ledger rows are never deleted: reverse the row instead."))

    def move_expiry(self, expires_on: datetime.date) -> int:
        """The one change a ledger row ever takes: a charge's expiry date. Only
        `prepurchase_charge_extend` calls it (later, never earlier, audited); amounts and every
        other column stay as they were written."""
        return super(LedgerQuerySet, self.filter(kind=LedgerKind.CHARGE)).update(
            expires_on=expires_on
        )


class PrepurchaseEntry(TenantOwned):
    """A ledger row. Never edited or deleted: a mistake is reversed by a new row."""

    objects = TenantManager.from_queryset(LedgerQuerySet)()

    agreement = models.ForeignKey(
        PrepurchaseAgreement, on_delete=models.PROTECT, related_name="entries"
    )
    kind = models.CharField(max_length=10, choices=LedgerKind.choices)
    amount = models.DecimalField(
        max_digits=14, decimal_places=3, help_text=_("Positive: what was bought, used or reversed.")
    )
    # Effect on the balance: +amount for a charge, −amount for a use, minus the reversed row's.
    delta = models.DecimalField(max_digits=14, decimal_places=3)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    entry_date = models.DateField()
    # A charge's last usable day (empty: it never expires). Moved later only by an extension.
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    # The charge a write-off takes the expired remainder of.
    charge = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="write_offs"
    )
    description = models.CharField(max_length=255, blank=True)
    reference = models.CharField(
        max_length=100, blank=True, help_text=_("What a use paid for, e.g. a registration.")
    )
    # Empty for rows written by a job or command rather than a person.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["entry_date", "pk"]
        verbose_name_plural = _("prepurchase entries")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="entry_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(kind="reversal", reverses__isnull=False)
                | (~models.Q(kind="reversal") & models.Q(reverses__isnull=True)),
                name="entry_reversal_names_its_row",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_on__isnull=True) | models.Q(kind="charge"),
                name="entry_only_charges_expire",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="write_off", charge__isnull=False)
                | (~models.Q(kind="write_off") & models.Q(charge__isnull=True)),
                name="entry_write_off_names_its_charge",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(
                gettext("Ledger rows are never changed: reverse the row instead.")
            )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(gettext("Ledger rows are never deleted: reverse the row instead."))

    def is_expired_on(self, day: datetime.date) -> bool:
        """A charge is usable on its expiry day and expired from the day after."""
        return self.expires_on is not None and self.expires_on < day


class PrepurchaseAllocation(TenantOwned):
    """What a ledger row took from, or gave back to, one charge: a use draws on the oldest
    unexpired charges (negative), a write-off takes a charge's expired remainder (negative), and
    the reversal of either gives back to the same charges (positive). A charge's remainder is its
    amount plus its allocations. Written with its ledger row; never edited or deleted.

    The part of a use that no charge covered went into the overdraft; a later charge (or units
    given back) pays it first, with an allocation of that use on the new charge.
    """

    objects = TenantManager.from_queryset(LedgerQuerySet)()

    entry = models.ForeignKey(
        PrepurchaseEntry, on_delete=models.PROTECT, related_name="allocations"
    )
    charge = models.ForeignKey(PrepurchaseEntry, on_delete=models.PROTECT, related_name="allocated")
    delta = models.DecimalField(
        max_digits=14, decimal_places=3, help_text=_("Effect on the charge's remainder.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(delta=0), name="allocation_delta_not_zero"),
        ]

    def __str__(self):
        return f"#{self.entry_id} on charge #{self.charge_id}: {self.delta}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(
                gettext("Ledger rows are never changed: reverse the row instead.")
            )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(gettext("Ledger rows are never deleted: reverse the row instead."))
