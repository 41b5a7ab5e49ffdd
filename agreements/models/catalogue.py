"""The catalogue: tax rates, training packages, products and price lists."""

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.platform.money import validate_currency
from accounts.platform.tax import DOMESTIC_CATEGORIES, VatCategory
from accounts.platform.tenancy import TenantOwned, tenant_reverse

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
        _("VAT category"),
        max_length=2,
        choices=[(c.value, c.label) for c in DOMESTIC_CATEGORIES],
        default=VatCategory.STANDARD,
        help_text=_("EN 16931's category of a domestic sale at this rate."),
    )
    exemption_reason_code = models.CharField(
        _("exemption reason code"),
        max_length=30,
        blank=True,
        help_text=_(
            "For exempt rates: the VATEX code, e.g. VATEX-EU-132-1I (vocational training)."
        ),
    )
    exemption_reason = models.CharField(
        _("exemption text"),
        max_length=200,
        blank=True,
        help_text=_(
            "For exempt rates: printed on the invoice, e.g. “Exempt: vocational training "
            "(Article 132(1)(i) of Directive 2006/112/EC)”."
        ),
    )

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "code"],
                name="taxrate_unique_code",
                violation_error_message=_("A tax rate with this code exists."),
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
                violation_error_message=_("A package with this name exists."),
            )
        ]

    def __str__(self):
        return self.name


class ProductKind(models.TextChoices):
    COURSE = "course", _("Course")
    ITEM = "item", _("Item")
    FEE = "fee", _("Fee")
    LEARNING_PATH = "learning_path", _("Learning path")


class BillingMoment(models.TextChoices):
    """When a product's registrations and items may be invoiced (a project can override it)."""

    ON_BOOKING = "on_booking", _("On booking")
    ON_CONFIRMATION = "on_confirmation", _("On confirmation")
    ON_DELIVERY = "on_delivery", _("On delivery")


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
        verbose_name=_("training package"),
    )
    default_price = money_field(validators=NOT_NEGATIVE, default=Decimal("0"))
    currency = models.CharField(
        max_length=3,
        validators=[validate_currency],
        default="EUR",
        help_text=_("Currency of the default price."),
    )
    unit_cost = money_field(
        validators=NOT_NEGATIVE,
        default=Decimal("0"),
        help_text=_("What one unit costs us (trainer, material), for profit."),
    )
    tax_rate = models.ForeignKey(
        TaxRate, null=True, blank=True, on_delete=models.PROTECT, related_name="products"
    )
    is_goods = models.BooleanField(
        _("physical goods"),
        default=False,
        help_text=_(
            "Tick for things shipped to the customer (workbooks, kits): sold abroad they "
            "are an intra-community supply or an export. Leave it for services, including room "
            "hire, which are taxed where the customer or the land is."
        ),
    )
    training_units_price = models.DecimalField(
        _("price in training units"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=NOT_NEGATIVE,
    )
    billing_moment = models.CharField(
        max_length=16,
        choices=BillingMoment.choices,
        default=BillingMoment.ON_DELIVERY,
        help_text=_(
            "When its places and items may be invoiced: once registered (on booking), "
            "once confirmed, or once delivered. A project can override it."
        ),
    )
    description = models.TextField(blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "code"],
                name="product_unique_code",
                violation_error_message=_("A product with this code exists."),
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
            raise ValidationError({"package": gettext("Choose a package of your own company.")})
        if self.tax_rate_id and self.tax_rate.tenant_id != self.tenant_id:
            raise ValidationError({"tax_rate": gettext("Choose a tax rate of your own company.")})


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
                violation_error_message=_("“Valid to” cannot be before “valid from”."),
            ),
        ]

    def __str__(self):
        """The name with its currency, once: "European customers 2026 (EUR)" is not followed
        by "(EUR)" again (issue 17)."""
        if self.currency and re.search(rf"\b{re.escape(self.currency)}\b", self.name, re.I):
            return self.name
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
                violation_error_message=_("This product is on the list already."),
            ),
        ]

    def __str__(self):
        return f"{self.product.code}: {self.unit_price}"
