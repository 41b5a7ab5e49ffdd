from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from accounts.models import Account
from accounts.platform.documents import StoredDocument
from accounts.platform.money import format_percent, validate_currency
from accounts.platform.tax import DOMESTIC_CATEGORIES, VatCategory
from accounts.platform.tenancy import TenantManager, TenantOwned, tenant_reverse

PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]
NOT_NEGATIVE = [MinValueValidator(Decimal("0"))]


def money_field(verbose_name=None, **kwargs):
    """Money columns hold up to three decimals (the largest minor unit, e.g. KWD)."""
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=3, **kwargs)


class TaxRate(TenantOwned):
    """A rate of the catalogue: what a domestic sale of its products is taxed at. Whether a
    sale is domestic, reverse-charged or outside the scope is decided per invoice by
    `invoicing.vat`'s rule table, from the countries and the buyer's VAT id."""

    code = models.CharField(max_length=20)
    name = models.CharField(max_length=100)
    percent = models.DecimalField(max_digits=5, decimal_places=2, validators=PERCENT)
    category = models.CharField(
        "VAT category",
        max_length=2,
        choices=[(c.value, c.label) for c in DOMESTIC_CATEGORIES],
        default=VatCategory.STANDARD,
        help_text="EN 16931's category of a domestic sale at this rate.",
    )
    exemption_reason_code = models.CharField(
        "exemption reason code",
        max_length=30,
        blank=True,
        help_text="For exempt rates: the VATEX code, e.g. VATEX-EU-132-1I (vocational training).",
    )
    exemption_reason = models.CharField(
        "exemption text",
        max_length=200,
        blank=True,
        help_text="For exempt rates: printed on the invoice, e.g. “Exempt: vocational training "
        "(Article 132(1)(i) of Directive 2006/112/EC)”.",
    )

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "code"],
                name="taxrate_unique_code",
                violation_error_message="A tax rate with this code exists.",
            )
        ]

    def __str__(self):
        return f"{self.code} ({self.percent}%)"

    def clean(self):
        """EN 16931's rules for the categories a rate can stand for: a standard rate is above
        0 %, zero-rated and exempt rates are 0 %, and an exempt rate says why (its text printed
        on the invoice; its VATEX code, if given, for the e-invoice)."""
        errors = {}
        self.exemption_reason_code = (self.exemption_reason_code or "").strip().upper()
        self.exemption_reason = (self.exemption_reason or "").strip()
        percent = self.percent
        if self.category == VatCategory.STANDARD and percent is not None and percent <= 0:
            errors["percent"] = (
                "A standard rate is above 0 %: enter its rate, or choose “Zero rated” or "
                "“Exempt” as its VAT category."
            )
        if self.category in (VatCategory.ZERO, VatCategory.EXEMPT) and percent:
            errors["percent"] = (
                f"{'A zero-rated' if self.category == VatCategory.ZERO else 'An exempt'} rate is "
                "0 %: enter 0, or choose “Standard rate” as its VAT category."
            )
        if self.category == VatCategory.EXEMPT:
            if not self.exemption_reason:
                errors["exemption_reason"] = (
                    "Enter the exemption text the invoice prints, e.g. “Exempt: vocational "
                    "training (Article 132(1)(i) of Directive 2006/112/EC)”."
                )
            if self.exemption_reason_code and not self.exemption_reason_code.startswith("VATEX-"):
                errors["exemption_reason_code"] = (
                    "An exemption reason code is a VATEX code, e.g. VATEX-EU-132-1I; leave it "
                    "empty if you do not know it."
                )
        elif self.exemption_reason or self.exemption_reason_code:
            errors["exemption_reason"] = (
                "Only an exempt rate has an exemption reason: clear it, or choose “Exempt” as "
                "the VAT category."
            )
        if errors:
            raise ValidationError(errors)


class TrainingPackage(TenantOwned):
    """A named bundle of courses, e.g. 'Leadership programme'."""

    name = models.CharField(max_length=150)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "name"],
                name="package_unique_name",
                violation_error_message="A package with this name exists.",
            )
        ]

    def __str__(self):
        return self.name


class ProductKind(models.TextChoices):
    COURSE = "course", "Course"
    ITEM = "item", "Item"
    FEE = "fee", "Fee"
    LEARNING_PATH = "learning_path", "Learning path"


class Product(TenantOwned):
    code = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=ProductKind.choices, default=ProductKind.COURSE)
    package = models.ForeignKey(
        TrainingPackage,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="products",
        verbose_name="training package",
    )
    default_price = money_field(validators=NOT_NEGATIVE, default=Decimal("0"))
    currency = models.CharField(
        max_length=3,
        validators=[validate_currency],
        default="EUR",
        help_text="Currency of the default price.",
    )
    unit_cost = money_field(
        validators=NOT_NEGATIVE,
        default=Decimal("0"),
        help_text="What one unit costs us (trainer, material), for profit.",
    )
    tax_rate = models.ForeignKey(
        TaxRate, null=True, blank=True, on_delete=models.PROTECT, related_name="products"
    )
    is_goods = models.BooleanField(
        "physical goods",
        default=False,
        help_text="Tick for things shipped to the customer (workbooks, kits): sold abroad they "
        "are an intra-community supply or an export. Leave it for services, including room "
        "hire, which are taxed where the customer or the land is.",
    )
    training_units_price = models.DecimalField(
        "price in training units",
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=NOT_NEGATIVE,
    )
    description = models.TextField(blank=True)
    is_active = models.BooleanField("active", default=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "code"],
                name="product_unique_code",
                violation_error_message="A product with this code exists.",
            ),
        ]

    def __str__(self):
        return f"{self.code} · {self.name}"

    def get_absolute_url(self):
        return tenant_reverse(
            "agreements:product-edit", tenant_id=self.tenant_id, kwargs={"pk": self.pk}
        )

    def clean(self):
        if self.package_id and self.package.tenant_id != self.tenant_id:
            raise ValidationError({"package": "Choose a package of your own company."})
        if self.tax_rate_id and self.tax_rate.tenant_id != self.tenant_id:
            raise ValidationError({"tax_rate": "Choose a tax rate of your own company."})


class PriceList(TenantOwned):
    name = models.CharField(max_length=150)
    currency = models.CharField(max_length=3, validators=[validate_currency])
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="pricelist_valid_to_after_from",
                violation_error_message="“Valid to” cannot be before “valid from”.",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.currency})"

    def get_absolute_url(self):
        return tenant_reverse(
            "agreements:pricelist-detail", tenant_id=self.tenant_id, kwargs={"pk": self.pk}
        )

    def is_valid_on(self, day) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class PriceListEntry(TenantOwned):
    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="entries")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="price_entries")
    unit_price = money_field(validators=NOT_NEGATIVE)
    training_units_price = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, validators=NOT_NEGATIVE
    )

    class Meta:
        ordering = ["product__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["price_list", "product"],
                name="entry_unique_product",
                violation_error_message="This product is on the list already.",
            ),
        ]

    def __str__(self):
        return f"{self.product.code}: {self.unit_price}"


class BookingStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SIGNED = "signed", "Signed"
    EXPIRED = "expired", "Expired"
    CANCELLED = "cancelled", "Cancelled"


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
                violation_error_message="The end date cannot be before the start date.",
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
    unit_price = money_field("agreed unit price", validators=NOT_NEGATIVE)
    committed_quantity = models.PositiveIntegerField(null=True, blank=True)
    notes = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["product__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["booking", "product"],
                name="interest_unique_product",
                violation_error_message="This product is agreed already.",
            ),
        ]

    def __str__(self):
        return f"{self.product.code} at {self.unit_price}"

    @property
    def committed_value(self):
        if self.committed_quantity is None:
            return None
        return self.unit_price * self.committed_quantity


class BookingDocument(StoredDocument):
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="documents")

    class Meta(StoredDocument.Meta):
        pass

    def get_absolute_url(self):
        return tenant_reverse(
            "agreements:document-download", tenant_id=self.tenant_id, kwargs={"pk": self.pk}
        )


class DiscountScope(models.TextChoices):
    EVENT = "event", "One event"
    PRICE_LIST = "price_list", "All products of a price list"
    PACKAGE = "package", "All courses of a training package"
    COURSE = "course", "One course"


class PlaceCounting(models.TextChoices):
    PER_EVENT = "per_event", "Per event"
    ACROSS_EVENTS = "across_events", "Across all covered events"


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
        verbose_name="course",
    )
    account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="discounts",
        verbose_name="customer",
        help_text="Leave empty to open it to every customer.",
    )
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    max_places = models.PositiveIntegerField(
        "maximum places per customer",
        null=True,
        blank=True,
        help_text="Past it, staff are warned (and may confirm); it does not block.",
    )
    place_counting = models.CharField(
        max_length=15, choices=PlaceCounting.choices, default=PlaceCounting.PER_EVENT
    )
    is_active = models.BooleanField("active", default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="discount_valid_to_after_from",
                violation_error_message="“Valid to” cannot be before “valid from”.",
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
    MONEY = "money", "Money"
    TRAINING_UNITS = "training_units", "Training units"


class PrepurchaseStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


class PrepurchaseAgreement(TenantOwned):
    """Money or training units a customer buys up front and spends on registrations."""

    number = models.PositiveIntegerField(editable=False)
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="prepurchases", verbose_name="customer"
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
        help_text="How far the balance may go below zero.",
    )
    status = models.CharField(
        max_length=10, choices=PrepurchaseStatus.choices, default=PrepurchaseStatus.ACTIVE
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-start_date", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="prepurchase_unique_number"),
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="prepurchase_end_after_start",
                violation_error_message="The end date cannot be before the start date.",
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

    def clean(self):
        errors = {}
        if self.account_id and self.account.tenant_id != self.tenant_id:
            errors["account"] = "Choose an account of your own company."
        if self.price_list_id and self.price_list.tenant_id != self.tenant_id:
            errors["price_list"] = "Choose a price list of your own company."
        if errors:
            raise ValidationError(errors)


class LedgerKind(models.TextChoices):
    CHARGE = "charge", "Charge"
    USE = "use", "Use"
    REVERSAL = "reversal", "Reversal"


class LedgerQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ValidationError("Ledger rows are never changed: reverse the row instead.")

    def delete(self):
        raise ValidationError("Ledger rows are never deleted: reverse the row instead.")


class PrepurchaseEntry(TenantOwned):
    """A ledger row. Never edited or deleted: a mistake is reversed by a new row."""

    objects = TenantManager.from_queryset(LedgerQuerySet)()

    agreement = models.ForeignKey(
        PrepurchaseAgreement, on_delete=models.PROTECT, related_name="entries"
    )
    kind = models.CharField(max_length=10, choices=LedgerKind.choices)
    amount = models.DecimalField(
        max_digits=14, decimal_places=3, help_text="Positive: what was bought, used or reversed."
    )
    # Effect on the balance: +amount for a charge, −amount for a use, minus the reversed row's.
    delta = models.DecimalField(max_digits=14, decimal_places=3)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    entry_date = models.DateField()
    description = models.CharField(max_length=255, blank=True)
    reference = models.CharField(
        max_length=100, blank=True, help_text="What a use paid for, e.g. a registration."
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
        verbose_name_plural = "prepurchase entries"
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="entry_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(kind="reversal", reverses__isnull=False)
                | (~models.Q(kind="reversal") & models.Q(reverses__isnull=True)),
                name="entry_reversal_names_its_row",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("Ledger rows are never changed: reverse the row instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Ledger rows are never deleted: reverse the row instead.")
