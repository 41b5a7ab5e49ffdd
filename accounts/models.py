from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# The platform's tables are registered with this app from here (migrations name them so).
from accounts.platform.models import (  # noqa: F401
    AuditEntry,
    AuditQuerySet,
    MemberGroup,
    MemberGroupMember,
    Membership,
    Role,
    SavedView,
    Sequence,
    Tenant,
    tenant_logo_path,
)
from accounts.platform.money import validate_country, validate_currency
from accounts.platform.tax import VatCategory, normalise_vat_id, validate_vat_id
from accounts.platform.tenancy import TenantOwned, tenant_reverse


class Region(TenantOwned):
    name = models.CharField(max_length=100)
    code = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "name"],
                name="region_unique_name",
                violation_error_message=_("A region with this name already exists."),
            )
        ]

    def __str__(self):
        return self.name


class EInvoiceFormat(models.TextChoices):
    FACTURX = "facturx", _("PDF (Factur-X, the e-invoice inside)")
    UBL = "ubl", _("PDF and UBL XML (Peppol BIS Billing 3.0)")


# The electronic address schemes (EAS) EN 16931 allows, as the CEN schematron's code list
# (BR-CL-25) names them; a Peppol participant id takes one of the four-digit ones.
PEPPOL_SCHEMES = frozenset(
    """0002 0007 0009 0037 0060 0088 0096 0097 0106 0130 0135 0142 0147 0151 0154 0158 0170 0177
    0183 0184 0188 0190 0191 0192 0193 0194 0195 0196 0198 0199 0200 0201 0202 0203 0204 0205
    0208 0209 0210 0211 0212 0213 0215 0216 0217 0218 0219 0220 0221 0225 0230 0235 0240 0242
    0244 0245 0246 0248 9910 9913 9914 9915 9918 9919 9920 9922 9923 9924 9925 9926 9927 9928
    9929 9930 9931 9932 9933 9934 9935 9936 9937 9938 9939 9940 9941 9942 9943 9944 9945 9946
    9947 9948 9949 9950 9951 9952 9953 9957 9959""".split()  # noqa: SIM905
)


def clean_vat_id(value: str, country: str, field: str, errors: dict) -> str:
    """`value` checked for its country's format and check digits and written compactly (e.g.
    "de 136 695 976" → "DE136695976"); a refusal goes into `errors[field]`."""
    if not value:
        return value
    try:
        validate_vat_id(value, country)
    except ValidationError as error:
        errors[field] = error.messages
        return value
    return normalise_vat_id(value, country)


def clean_peppol_id(value: str) -> str:
    """A Peppol participant id as scheme:id, e.g. "0088:5790000435968"; raises a message that
    says what to type."""
    compact = "".join((value or "").split())
    if not compact:
        return ""
    scheme, _, identifier = compact.partition(":")
    if not identifier or scheme not in PEPPOL_SCHEMES:
        raise ValidationError(
            (
                gettext(
                    "“%(value)s” is not a Peppol participant id: write it as scheme:id with the "
                    "four-digit scheme of the Peppol code list, e.g. 0088:5790000435968 (GLN) or "
                    "9930:DE136695976 (German VAT id), or leave it empty."
                )
                % {"value": value}
            ),
            code="invalid_peppol_id",
        )
    return f"{scheme}:{identifier}"


class AccountKind(models.TextChoices):
    ORGANISATION = "organisation", _("Organisation")
    INDIVIDUAL = "individual", _("Individual")


class Account(TenantOwned):
    """A customer: an organisation (which can hold projects) or an individual."""

    number = models.PositiveIntegerField(editable=False)
    name = models.CharField(max_length=200)
    kind = models.CharField(
        max_length=12, choices=AccountKind.choices, default=AccountKind.ORGANISATION
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text=_(
            "The group this account belongs to; its projects may use the parent's bookings."
        ),
    )
    billing_account = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="billed_accounts",
        help_text=_(
            "Invoices go to this account instead. Leave empty to invoice the account itself."
        ),
    )
    sales_currency = models.CharField(
        max_length=3,
        blank=True,
        validators=[validate_currency],
        help_text=_("If set, every project of this account must use this currency."),
    )
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.SET_NULL, related_name="accounts"
    )
    tax_id = models.CharField(_("tax / VAT id"), max_length=40, blank=True)
    address = models.TextField(_("billing address"), blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country_area = models.CharField(
        _("county, state or province"),
        max_length=100,
        blank=True,
        help_text=_("Only where the country's addresses name one (e.g. a US state)."),
    )
    country = models.CharField(max_length=2, blank=True, validators=[validate_country])
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    invoice_email = models.EmailField(
        _("send invoices to"),
        blank=True,
        help_text=_(
            "The address invoices and credit notes are e-mailed to; the account's e-mail "
            "when empty."
        ),
    )
    einvoice_format = models.CharField(
        _("e-invoice format"),
        max_length=10,
        choices=EInvoiceFormat.choices,
        default=EInvoiceFormat.FACTURX,
        help_text=_(
            "What an invoice e-mail carries: every PDF is a Factur-X PDF with the "
            "EN 16931 invoice inside; public buyers on Peppol often want the UBL file as well."
        ),
    )
    peppol_id = models.CharField(
        _("Peppol participant id"),
        max_length=80,
        blank=True,
        help_text=_(
            "The buyer's electronic address as scheme:id, e.g. 0088:5790000435968 or "
            "9930:DE136695976; the invoice e-mail address is used when empty."
        ),
    )
    tax_treatment = models.CharField(
        _("VAT treatment"),
        max_length=2,
        blank=True,
        choices=VatCategory.choices,
        help_text=_(
            "Leave empty to let the rules decide from the countries, the VAT id and the "
            "product; set it only where the account's tax position is known to differ."
        ),
    )
    tags = models.CharField(
        max_length=255, blank=True, help_text=_("Comma-separated, e.g. public-sector, key-account.")
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_(
            "Invoices, credit notes, statements and reminders to this account are written in "
            "this language; the company's language when empty."
        ),
    )
    notes = models.TextField(blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="account_unique_number"),
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("id")), name="account_not_own_parent"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "name"], name="account_tenant_name"),
            # The dashboard's newest accounts: read from the index, not a sort of every account.
            models.Index(fields=["tenant", "-created_at"], name="account_tenant_newest"),
        ]

    def __str__(self):
        return f"{self.name} ({self.number})" if self.number else self.name

    def get_absolute_url(self):
        return tenant_reverse(
            "accounts:account-detail", tenant_id=self.tenant_id, kwargs={"pk": self.pk}
        )

    @property
    def is_organisation(self) -> bool:
        return self.kind == AccountKind.ORGANISATION

    @property
    def invoice_recipient(self) -> "Account":
        return self.billing_account or self

    @property
    def tag_list(self) -> list[str]:
        return [tag for tag in (t.strip() for t in self.tags.split(",")) if tag]

    def clean(self):
        errors = {}
        for field in ("parent", "billing_account"):
            other = getattr(self, field)
            if other is not None and self.tenant_id and other.tenant_id != self.tenant_id:
                errors[field] = "Choose an account of your own company."
        if self.parent_id and self.pk and self.parent_id == self.pk:
            errors["parent"] = "An account cannot be its own parent."
        elif self.parent_id and "parent" not in errors and self._parent_chain_reaches_self():
            errors["parent"] = (
                f"{self.parent} is already below {self.name} in the group: choosing it as parent "
                "would make a loop. Pick an account higher up or none."
            )
        if self.billing_account_id and self.pk and self.billing_account_id == self.pk:
            errors["billing_account"] = (
                "Leave the billing account empty to invoice the account itself."
            )
        self.tax_id = clean_vat_id(self.tax_id, self.country, "tax_id", errors)
        try:
            self.peppol_id = clean_peppol_id(self.peppol_id)
        except ValidationError as error:
            errors["peppol_id"] = error.messages
        if errors:
            raise ValidationError(errors)

    def _parent_chain_reaches_self(self) -> bool:
        if not self.pk:
            return False
        seen = set()
        ancestor_id = self.parent_id
        while ancestor_id is not None and ancestor_id not in seen:
            if ancestor_id == self.pk:
                return True
            seen.add(ancestor_id)
            ancestor_id = (
                Account._base_manager.filter(pk=ancestor_id)
                .values_list("parent_id", flat=True)
                .first()
            )
        return ancestor_id is not None


class Contact(TenantOwned):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contacts")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    job_title = models.CharField(max_length=100, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_primary", "last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=models.Q(is_primary=True),
                name="contact_one_primary_per_account",
                violation_error_message=_("The account already has a primary contact."),
            )
        ]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_absolute_url(self):
        return self.account.get_absolute_url() + "contacts/"

    def clean(self):
        if self.account_id and self.tenant_id and self.account.tenant_id != self.tenant_id:
            raise ValidationError({"account": gettext("Choose an account of your own company.")})


class BankAccount(TenantOwned):
    """An account of the company's own that customers pay into: printed on invoices (the one
    for the invoice's currency, else the default) and frozen with them at issue."""

    label = models.CharField(max_length=100, help_text=_("e.g. “Barclays GBP” or “EUR account”."))
    bank_name = models.CharField(max_length=100, blank=True)
    account_holder = models.CharField(
        max_length=200, blank=True, help_text=_("When it differs from the company's name.")
    )
    currency = models.CharField(
        max_length=3,
        blank=True,
        validators=[validate_currency],
        help_text=_("Invoices in this currency print this account. Empty: any currency."),
    )
    iban = models.CharField(_("IBAN"), max_length=42, blank=True)
    bic = models.CharField(_("BIC / SWIFT"), max_length=11, blank=True)
    account_number = models.CharField(
        max_length=34, blank=True, help_text=_("Only for an account without an IBAN.")
    )
    sort_code = models.CharField(
        _("sort code / routing number"),
        max_length=20,
        blank=True,
        help_text=_("Only for an account without an IBAN."),
    )
    is_default = models.BooleanField(
        _("default"),
        default=False,
        help_text=_("Printed on invoices whose currency has no account."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["-is_default", "label"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant"],
                condition=models.Q(is_default=True),
                name="bankaccount_one_default",
                violation_error_message=_("The company has a default bank account already."),
            )
        ]

    def __str__(self):
        return self.label

    def get_absolute_url(self):
        return tenant_reverse("accounts:bank-accounts", tenant_id=self.tenant_id)

    @property
    def iban_grouped(self) -> str:
        """The IBAN in groups of four, as it is printed."""
        return " ".join(self.iban[i : i + 4] for i in range(0, len(self.iban), 4))

    def clean(self):
        """An IBAN (checked, stored compact), or a local account number with its sort or
        routing code; a BIC, when given, checked and in the IBAN's country."""
        from schwifty import BIC, IBAN
        from schwifty.exceptions import SchwiftyException

        errors = {}
        self.iban = "".join((self.iban or "").split()).upper()
        self.bic = "".join((self.bic or "").split()).upper()
        self.account_number = (self.account_number or "").strip()
        self.sort_code = (self.sort_code or "").strip()
        iban = bic = None
        if self.iban:
            try:
                iban = IBAN(self.iban)
            except SchwiftyException:
                errors["iban"] = (
                    f"“{self.iban}” is not a valid IBAN: check the country code, the two check "
                    "digits and the account digits (e.g. DE89 3704 0044 0532 0130 00)."
                )
            else:
                self.iban = iban.compact
        elif not (self.account_number and self.sort_code):
            if self.account_number:
                errors["sort_code"] = "Enter the sort code or routing number of this account."
            elif self.sort_code:
                errors["account_number"] = "Enter the account number, or an IBAN instead."
            else:
                errors["iban"] = (
                    "Enter an IBAN, or an account number with its sort code or routing number."
                )
        if self.bic:
            try:
                bic = BIC(self.bic)
            except SchwiftyException:
                errors["bic"] = (
                    f"“{self.bic}” is not a valid BIC: it has 8 or 11 letters and digits, "
                    "e.g. COBADEFFXXX."
                )
            else:
                self.bic = bic.compact
        if iban is not None and bic is not None and iban.country_code != bic.country_code:
            errors["bic"] = (
                f"The BIC {self.bic} is of a bank in {bic.country_code}, but the IBAN is of "
                f"{iban.country_code}: check both."
            )
        if errors:
            raise ValidationError(errors)
