"""Agreements with customers: bookings (framework agreements) with their documents and
interests, discount agreements and prepurchase agreements with their ledgers."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from accounts.platform.documents import StoredDocument
from accounts.platform.money import format_percent, validate_currency
from accounts.platform.tenancy import TenantOwned, tenant_reverse
from agreements.models.catalogue import (
    NOT_NEGATIVE,
    PERCENT,
    PriceList,
    Product,
    ProductKind,
    TrainingPackage,
    money_field,
)


class BookingStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SIGNED = "signed", _("Signed")
    EXPIRED = "expired", _("Expired")
    CANCELLED = "cancelled", _("Cancelled")


class Booking(TenantOwned):
    """A framework agreement with a customer organisation."""

    number = models.PositiveIntegerField(editable=False)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="bookings")
    name = models.CharField(max_length=200)
    status = models.CharField(
        max_length=10, choices=BookingStatus.choices, default=BookingStatus.DRAFT
    )
    signed_date = models.DateField(null=True, blank=True)
    start_date = models.DateField()
    end_date = models.DateField()
    currency = models.CharField(max_length=3, validators=[validate_currency])
    price_list = models.ForeignKey(
        PriceList, null=True, blank=True, on_delete=models.PROTECT, related_name="bookings"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    estimated_value = money_field(null=True, blank=True, validators=NOT_NEGATIVE)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start_date", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="booking_unique_number"),
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="booking_end_after_start",
                violation_error_message=_("The end date cannot be before the start date."),
            ),
        ]

    def __str__(self):
        return f"B-{self.number} {self.name}"

    def get_absolute_url(self):
        return tenant_reverse(
            "agreements:booking-detail", tenant_id=self.tenant_id, kwargs={"pk": self.pk}
        )

    def clean(self):
        errors = {}
        if self.account_id:
            if self.account.tenant_id != self.tenant_id:
                errors["account"] = "Choose an account of your own company."
            elif not self.account.is_organisation:
                errors["account"] = (
                    "Framework agreements are made with organisations; "
                    f"{self.account.name} is an individual."
                )
        if self.price_list_id:
            if self.price_list.tenant_id != self.tenant_id:
                errors["price_list"] = "Choose a price list of your own company."
            elif self.currency and self.price_list.currency != self.currency:
                errors["price_list"] = (
                    f"The price list is in {self.price_list.currency} but the "
                    f"booking in {self.currency}: choose a {self.currency} "
                    "list or change the booking's currency."
                )
        if self.status == BookingStatus.SIGNED and not self.signed_date:
            errors["signed_date"] = "Enter the date the agreement was signed."
        if (
            self.account_id
            and "account" not in errors
            and self.account.sales_currency
            and self.currency  # empty: booking_save takes the sales currency
            and (self.currency != self.account.sales_currency)
        ):
            errors["currency"] = (
                f"{self.account.name} buys in {self.account.sales_currency}: use that currency."
            )
        if errors:
            raise ValidationError(errors)


class Interest(TenantOwned):
    """A line of the agreed price list: product, agreed price, committed volume."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="interests")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="interests")
    unit_price = money_field(_("agreed unit price"), validators=NOT_NEGATIVE)
    committed_quantity = models.PositiveIntegerField(null=True, blank=True)
    notes = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["product__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["booking", "product"],
                name="interest_unique_product",
                violation_error_message=_("This product is agreed already."),
            ),
        ]

    def __str__(self):
        return f"{self.product.code} at {self.unit_price}"

    @property
    def committed_value(self):
        if self.committed_quantity is None:
            return None
        return self.unit_price * self.committed_quantity


INDEX_PERCENT = [MinValueValidator(Decimal("-100")), MaxValueValidator(Decimal("100"))]


class BookingUplift(TenantOwned):
    """A booking's yearly price uplift (issue 14): from the anniversary of its start date that
    opens `contract_year`, its agreed prices (interests and price list) rise by `percent`, or by
    the index where one is given and is lower. Years compound (`agreements.uplift`)."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="uplifts")
    contract_year = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(2), MaxValueValidator(99)],
        help_text=_("Year 2 starts on the first anniversary of the booking's start date."),
    )
    percent = models.DecimalField(_("uplift %"), max_digits=5, decimal_places=2, validators=PERCENT)
    index_percent = models.DecimalField(
        _("index cap %"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=INDEX_PERCENT,
        help_text=_("The index (e.g. CPI) entered by hand: where it is lower, it is applied."),
    )
    notes = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["contract_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["booking", "contract_year"],
                name="uplift_unique_year",
                violation_error_message=_("This contract year has an uplift already."),
            ),
            models.CheckConstraint(
                condition=models.Q(contract_year__gte=2),
                name="uplift_from_year_two",
                violation_error_message=_("Uplifts start in contract year 2."),
            ),
        ]

    def __str__(self):
        return f"Year {self.contract_year}: +{format_percent(self.applied_percent)} %"

    @property
    def applied_percent(self) -> Decimal:
        """The uplift applied: the percentage, or the index where one is given and is lower."""
        if self.index_percent is not None and self.index_percent < self.percent:
            return self.index_percent
        return self.percent

    @property
    def is_capped(self) -> bool:
        return self.index_percent is not None and self.index_percent < self.percent


class BookingDocument(StoredDocument):
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="documents")

    class Meta(StoredDocument.Meta):
        pass

    def get_absolute_url(self):
        return tenant_reverse(
            "agreements:document-download", tenant_id=self.tenant_id, kwargs={"pk": self.pk}
        )


class DiscountScope(models.TextChoices):
    EVENT = "event", _("One event")
    PRICE_LIST = "price_list", _("All products of a price list")
    PACKAGE = "package", _("All courses of a training package")
    COURSE = "course", _("One course")


class PlaceCounting(models.TextChoices):
    PER_EVENT = "per_event", _("Per event")
    ACROSS_EVENTS = "across_events", _("Across all covered events")


class DiscountAgreement(TenantOwned):
    """A percentage off. Event-scoped agreements are linked to their event by `projects`."""

    name = models.CharField(max_length=150)
    percent = models.DecimalField(max_digits=5, decimal_places=2, validators=PERCENT)
    scope = models.CharField(max_length=12, choices=DiscountScope.choices)
    price_list = models.ForeignKey(
        PriceList, null=True, blank=True, on_delete=models.PROTECT, related_name="discounts"
    )
    package = models.ForeignKey(
        TrainingPackage, null=True, blank=True, on_delete=models.PROTECT, related_name="discounts"
    )
    product = models.ForeignKey(
        Product,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="discounts",
        verbose_name=_("course"),
    )
    account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="discounts",
        verbose_name=_("customer"),
        help_text=_("Leave empty to open it to every customer."),
    )
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    max_places = models.PositiveIntegerField(
        _("maximum places per customer"),
        null=True,
        blank=True,
        help_text=_("Past it, staff are warned (and may confirm); it does not block."),
    )
    place_counting = models.CharField(
        max_length=15, choices=PlaceCounting.choices, default=PlaceCounting.PER_EVENT
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="discount_valid_to_after_from",
                violation_error_message=_("“Valid to” cannot be before “valid from”."),
            ),
        ]

    def __str__(self):
        return f"{self.name} (−{format_percent(self.percent)}%)"

    def get_absolute_url(self):
        return tenant_reverse(
            "agreements:discount-edit", tenant_id=self.tenant_id, kwargs={"pk": self.pk}
        )

    def clean(self):
        needed = {
            DiscountScope.PRICE_LIST: "price_list",
            DiscountScope.PACKAGE: "package",
            DiscountScope.COURSE: "product",
        }
        errors = {}
        target = needed.get(self.scope)
        for field in ("price_list", "package", "product"):
            value = getattr(self, field)
            if field == target and value is None:
                errors[field] = (
                    f"Choose the {self._meta.get_field(field).verbose_name} this discount covers."
                )
            elif field != target and value is not None:
                errors[field] = (
                    f"Leave empty: a “{self.get_scope_display()}” discount does not "
                    f"use a {self._meta.get_field(field).verbose_name}."
                )
            elif value is not None and value.tenant_id != self.tenant_id:
                errors[field] = "Choose one of your own company."
        if (
            self.scope == DiscountScope.COURSE
            and self.product_id
            and (self.product.kind != ProductKind.COURSE)
        ):
            errors["product"] = "Choose a course."
        if self.account_id and self.account.tenant_id != self.tenant_id:
            errors["account"] = "Choose an account of your own company."
        if errors:
            raise ValidationError(errors)

    def is_valid_on(self, day) -> bool:
        return (
            self.is_active
            and self.valid_from <= day
            and (self.valid_to is None or day <= self.valid_to)
        )


class PrepurchaseUnit(models.TextChoices):
    MONEY = "money", _("Money")
    TRAINING_UNITS = "training_units", _("Training units")
