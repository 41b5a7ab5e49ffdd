"""The platform's own tables: companies (tenants), who belongs to them with which role,
gapless counters and the audit trail. They live in the `accounts` app's migrations.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.platform.constraints import validate_constraints
from accounts.platform.money import validate_country, validate_currency
from accounts.platform.tax import normalise_vat_id, validate_vat_id
from accounts.platform.tenancy import TenantManager, TenantOwned


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    STAFF = "staff", _("Staff")
    FINANCE = "finance", _("Finance")
    VIEWER = "viewer", _("Viewer")


def tenant_logo_path(instance, filename):
    import uuid
    from pathlib import PurePosixPath

    return (
        f"tenants/{instance.pk}/logo-{uuid.uuid4().hex[:8]}{PurePosixPath(filename).suffix.lower()}"
    )


class Tenant(models.Model):
    """A training company. Global: it is the scope itself."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=50,
        unique=True,
        help_text=_("Part of every address of the company's pages, e.g. /northwind/."),
    )
    base_currency = models.CharField(max_length=3, default="EUR", validators=[validate_currency])
    country = models.CharField(max_length=2, blank=True, validators=[validate_country])
    address = models.TextField(
        _("street address"), blank=True, help_text=_("Street and number (one or two lines).")
    )
    postal_code = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country_area = models.CharField(
        _("county, state or province"),
        max_length=100,
        blank=True,
        help_text=_("Only where the country's addresses name one (e.g. a US state)."),
    )
    vat_number = models.CharField(_("VAT number"), max_length=40, blank=True)
    # Legal details an invoice must carry (issue 15); printed and frozen at issue.
    registration_number = models.CharField(
        _("company registration number"), max_length=40, blank=True
    )
    registration_register = models.CharField(
        _("register"),
        max_length=120,
        blank=True,
        help_text=_(
            "Where the company is registered, e.g. “Companies House, England and Wales” "
            "or “Amtsgericht München, HRB”."
        ),
    )
    invoice_contact_name = models.CharField(_("invoicing contact"), max_length=100, blank=True)
    invoice_email = models.EmailField(
        _("invoicing e-mail"),
        blank=True,
        help_text=_("Printed on invoices; customers' replies to invoice e-mails go here."),
    )
    invoice_phone = models.CharField(_("invoicing phone"), max_length=40, blank=True)
    invoice_prefix = models.CharField(
        max_length=12,
        default="INV-",
        validators=[RegexValidator(r"^[A-Za-z0-9/_.-]*$", "Use letters, digits and - / _ . only.")],
    )
    credit_note_prefix = models.CharField(
        max_length=12,
        default="CN-",
        validators=[RegexValidator(r"^[A-Za-z0-9/_.-]*$", "Use letters, digits and - / _ . only.")],
    )
    payment_terms_days = models.PositiveSmallIntegerField(
        default=30, validators=[MaxValueValidator(365)]
    )
    default_tax_rate = models.DecimalField(
        _("default tax rate (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("20.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    logo = models.FileField(
        upload_to=tenant_logo_path,
        blank=True,
        max_length=255,
        help_text=_("PNG or JPEG, at most 1 MB; printed on invoices."),
    )
    # Its pages' language and number/date formats, and its customers' documents' by default.
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_(
            "The language of the company's pages, numbers and dates, and of invoices to "
            "customers that have no language of their own."
        ),
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(invoice_prefix=models.F("credit_note_prefix")),
                name="tenant_prefixes_differ",
                violation_error_message=_("Invoices and credit notes need different prefixes."),
            )
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("dashboard", kwargs={"tenant_slug": self.slug})

    def validate_constraints(self, exclude=None):
        """A constraint's error on the field it is about (accounts.platform.constraints)."""
        validate_constraints(self, exclude=exclude)

    def clean(self):
        """The VAT number is checked for its country's format and check digits and written
        compactly (e.g. "GB 980 7806 84" → "GB980780684")."""
        if self.vat_number:
            try:
                validate_vat_id(self.vat_number, self.country)
            except ValidationError as error:
                raise ValidationError({"vat_number": error.messages}) from None
            self.vat_number = normalise_vat_id(self.vat_number, self.country)


class Membership(TenantOwned):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.STAFF)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user__last_name", "user__first_name", "user__email"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "user"],
                name="membership_one_per_user_and_tenant",
                violation_error_message=_("This person is already a member."),
            )
        ]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()})"


class Sequence(TenantOwned):
    """A per-tenant counter for human-facing numbers; see `services.next_number`."""

    key = models.CharField(max_length=40)
    last_value = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="sequence_unique_key")
        ]

    def __str__(self):
        return f"{self.key}: {self.last_value}"


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ValidationError(_("The audit trail is append-only."))

    def delete(self):
        raise ValidationError(_("The audit trail is append-only."))


class AuditEntry(TenantOwned):
    """Who did what to which row, when, with the values before and after. Append-only.

    Written by the services in the transaction of the change itself (see `services.audit`);
    invoices show theirs as a history, and price overrides of registrations are recorded too.
    """

    objects = TenantManager.from_queryset(AuditQuerySet)()

    action = models.CharField(max_length=40)
    object_type = models.CharField(max_length=60, help_text=_("app_label.model of the row."))
    object_id = models.PositiveBigIntegerField()
    subject = models.CharField(max_length=255, help_text=_("The row as people name it."))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name_plural = _("audit entries")
        indexes = [models.Index(fields=["tenant", "object_type", "object_id"], name="audit_object")]

    def __str__(self):
        return f"{self.action}: {self.subject}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(_("The audit trail is append-only."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(gettext("The audit trail is append-only."))


class MemberGroup(TenantOwned):
    """A named set of a company's members (a team, an office) that projects can be shared with
    (projects.sharing). Managed by the company's admins."""

    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "name"],
                name="membergroup_unique_name",
                violation_error_message=_("A group of this name exists already."),
            )
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        from accounts.platform.tenancy import tenant_reverse

        return tenant_reverse("accounts:member-groups", tenant_id=self.tenant_id)


class MemberGroupMember(TenantOwned):
    """One member of a group: its own row with `tenant_id`, so row-level security covers it."""

    group = models.ForeignKey(MemberGroup, on_delete=models.CASCADE, related_name="members")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "membership"], name="membergroupmember_unique")
        ]

    def __str__(self):
        return f"{self.membership} in {self.group}"


class SavedView(TenantOwned):
    """A list's filters and visible columns a user saved under a name, to open again (issue 17).

    Personal: only its owner lists, opens or deletes it (`accounts.platform.saved_views`).
    `list_key` names the list (its URL name, e.g. "projects:project-list"); `query` is the list's
    query string without paging; `columns` the visible columns, empty for the table's own."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    list_key = models.CharField(max_length=60)
    name = models.CharField(max_length=60)
    query = models.CharField(max_length=2000, blank=True)
    columns = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "user", "list_key", "name"],
                name="saved_view_unique_name",
                violation_error_message=_("You have a saved view with this name already."),
            )
        ]

    def __str__(self):
        return self.name
