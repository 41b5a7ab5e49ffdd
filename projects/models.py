from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Contact, Region
from accounts.platform.documents import StoredDocument
from accounts.platform.money import validate_currency
from accounts.platform.tenancy import TenantManager, TenantOwned, tenant_reverse
from agreements.models import (
    BillingMoment,
    Booking,
    DiscountAgreement,
    DiscountScope,
    PrepurchaseAgreement,
    Product,
    ProductKind,
    money_field,
)
from agreements.pricing import price_source_label
from projects.sharing_models import (  # noqa: F401
    ProjectClass,
    ProjectQuerySet,
    ProjectShare,
    Visibility,
)

PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]
NOT_NEGATIVE = [MinValueValidator(Decimal("0"))]


class ProjectStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    NO_MORE_TRANSACTIONS = "no_more_transactions", _("No more transactions")
    FINISHED = "finished", _("Finished")


class ProjectType(models.TextChoices):
    INVOICEABLE = "invoiceable", _("Invoiceable")
    INTERNAL = "internal", _("Internal")
    OTHER = "other", _("Other")


class BudgetPolicy(models.TextChoices):
    NONE = "none", _("No warning")
    WARNING = "warning", _("Warn and ask to confirm")
    DISALLOW = "disallow", _("Refuse")


class RevenueRecognition(models.TextChoices):
    ON_INVOICE = "on_invoice", _("On invoice")
    ON_DELIVERY = "on_delivery", _("On delivery")


class Project(TenantOwned):
    """The running record of a customer's training under a framework agreement."""

    code = models.CharField(max_length=20, editable=False)
    name = models.CharField(max_length=200)
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="projects", verbose_name=_("customer")
    )
    billing_account = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        related_name="billed_projects",
        help_text=_("Invoices go here."),
    )
    booking = models.ForeignKey(
        Booking,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="projects",
        help_text=_("A framework agreement of the customer or its parent."),
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sub_projects",
        verbose_name=_("parent project"),
    )
    start_date = models.DateField()
    end_date = models.DateField()
    main_contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    invoice_email = models.EmailField(blank=True)
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.SET_NULL, related_name="projects"
    )
    currency = models.CharField(max_length=3, validators=[validate_currency])
    status = models.CharField(
        max_length=22, choices=ProjectStatus.choices, default=ProjectStatus.ACTIVE
    )
    finished_date = models.DateField(null=True, blank=True, editable=False)
    project_type = models.CharField(
        _("type"), max_length=12, choices=ProjectType.choices, default=ProjectType.INVOICEABLE
    )
    do_not_invoice = models.BooleanField(default=False)
    budget_policy = models.CharField(
        max_length=10,
        choices=BudgetPolicy.choices,
        default=BudgetPolicy.WARNING,
        help_text=_(
            "What happens when requests go past the booking's committed volumes or a "
            "purchase order's value, or are for a product not on the agreement."
        ),
    )
    handling_fee_percent = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, validators=PERCENT
    )
    max_billing_amount = money_field(
        null=True,
        blank=True,
        validators=NOT_NEGATIVE,
        help_text=_("Invoicing past this total is refused."),
    )
    revenue_recognition = models.CharField(
        max_length=12, choices=RevenueRecognition.choices, default=RevenueRecognition.ON_INVOICE
    )
    billing_moment = models.CharField(
        max_length=16,
        choices=BillingMoment.choices,
        blank=True,
        help_text=_(
            "When registrations and items may be invoiced. Empty: as each product says "
            "(on delivery unless the catalogue says otherwise)."
        ),
    )
    require_purchase_order = models.BooleanField(default=False)
    # A template is copied into new projects (with its phases, events, items and milestones) and
    # is never invoiced itself (`projects.billing.project_problem`).
    is_template = models.BooleanField(
        _("template"), default=False, help_text=_("A model for new projects; never invoiced.")
    )
    internal_notes = models.TextField(blank=True)
    external_notes = models.TextField(blank=True, help_text=_("Printed on invoices."))
    tags = models.CharField(max_length=255, blank=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who may see it (projects.sharing): everyone, or its manager and the named members/groups.
    visibility = models.CharField(
        _("shared with"), max_length=10, choices=Visibility.choices, default=Visibility.COMPANY
    )
    project_class = models.ForeignKey(
        "projects.ProjectClass",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="projects",
        verbose_name=_("class"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager.from_queryset(ProjectQuerySet)()

    class Meta:
        ordering = ["-start_date", "code"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="project_unique_code"),
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="project_end_after_start",
                violation_error_message=_("The end date cannot be before the start date."),
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "status"], name="project_tenant_status"),
            # The project list's order: its first page reads 25 index entries instead of
            # joining and sorting every project of the company (issue 18).
            models.Index(fields=["tenant", "-start_date", "-code"], name="project_list_order"),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    def get_absolute_url(self):
        return tenant_reverse(
            "projects:project-detail", tenant_id=self.tenant_id, kwargs={"pk": self.pk}
        )

    @property
    def is_active(self) -> bool:
        return self.status == ProjectStatus.ACTIVE

    @property
    def tag_list(self) -> list[str]:
        return [tag for tag in (t.strip() for t in self.tags.split(",")) if tag]

    def clean(self):
        errors = {}
        links = {
            "account": self.account if self.account_id else None,
            "billing_account": self.billing_account if self.billing_account_id else None,
            "booking": self.booking if self.booking_id else None,
            "parent": self.parent if self.parent_id else None,
            "main_contact": self.main_contact if self.main_contact_id else None,
            "region": self.region if self.region_id else None,
            "project_class": self.project_class if self.project_class_id else None,
        }
        for field, row in links.items():
            if row is not None and row.tenant_id != self.tenant_id:
                errors[field] = "Choose one of your own company."
        account = links["account"]
        if account is not None and "account" not in errors:
            if not account.is_organisation:
                errors["account"] = (
                    f"{account.name} is an individual: projects are opened on "
                    "organisations. Choose the organisation they work for."
                )
            if (
                account.sales_currency
                and self.currency
                and (self.currency != account.sales_currency)
            ):
                errors["currency"] = (
                    f"{account.name} buys in {account.sales_currency}: the project must use it."
                )
            booking = links["booking"]
            if (
                booking is not None
                and "booking" not in errors
                and booking.account_id not in (account.pk, account.parent_id)
            ):
                errors["booking"] = (
                    f"{booking} belongs to {booking.account.name}; choose a "
                    f"booking of {account.name} or of its parent account."
                )
            contact = links["main_contact"]
            if contact is not None and contact.account_id != account.pk:
                errors["main_contact"] = f"Choose a contact of {account.name}."
        if self.parent_id and self.pk and self.parent_id == self.pk:
            errors["parent"] = "A project cannot be its own parent."
        if errors:
            raise ValidationError(errors)


class ProjectSettings(TenantOwned):
    """A company's defaults for new projects (issue 14). At most one row per tenant; without one,
    `projects.selectors.project_settings` hands out these defaults unsaved."""

    # One row per company: the tenant key itself is one-to-one (and scopes the row as usual).
    tenant = models.OneToOneField("accounts.Tenant", on_delete=models.PROTECT, related_name="+")
    default_budget_policy = models.CharField(
        _("budget policy of new projects"),
        max_length=10,
        choices=BudgetPolicy.choices,
        default=BudgetPolicy.WARNING,
        help_text=_(
            "What a new project proposes when a request goes past the booking's committed "
            "volumes or a purchase order's value, or is for a product not on the agreement."
        ),
    )

    class Meta:
        verbose_name = verbose_name_plural = _("project settings")

    def __str__(self):
        return "Project settings"


class ProjectProduct(TenantOwned):
    """A product the project provides (taken from the booking's agreed prices, editable)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="products")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["product__code"]
        constraints = [
            models.UniqueConstraint(fields=["project", "product"], name="project_product_unique")
        ]

    def __str__(self):
        return str(self.product)


class ProjectDocument(StoredDocument):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="documents")

    class Meta(StoredDocument.Meta):
        pass


class PurchaseOrder(TenantOwned):
    """A customer's purchase order that registrations and items are charged to."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="purchase_orders")
    number = models.CharField(max_length=60)
    value_cap = money_field(
        null=True, blank=True, validators=NOT_NEGATIVE, help_text=_("Leave empty for no cap.")
    )
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    notes = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "number"],
                name="po_unique_number",
                violation_error_message=_("This purchase order is on the project already."),
            )
        ]

    def __str__(self):
        return self.number


class EventStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    CONFIRMED = "confirmed", _("Confirmed")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")


class PrivateEvent(TenantOwned):
    """A course run for this customer only. Public events never belong to a project."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="events")
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="+", verbose_name=_("course")
    )
    title = models.CharField(max_length=200)
    start_date = models.DateField()
    end_date = models.DateField()
    venue = models.CharField(max_length=200, blank=True)
    trainer = models.CharField(max_length=150, blank=True)
    capacity = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=EventStatus.choices, default=EventStatus.PLANNED
    )
    trainer_fee = money_field(default=Decimal("0"), validators=NOT_NEGATIVE)
    venue_cost = money_field(default=Decimal("0"), validators=NOT_NEGATIVE)
    other_cost = money_field(default=Decimal("0"), validators=NOT_NEGATIVE)
    discount_agreement = models.ForeignKey(
        DiscountAgreement,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
        help_text=_("A one-event discount agreement that applies to this event."),
    )
    phase = models.ForeignKey(
        "projects.Phase",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name=_("phase"),
    )
    unit_price = money_field(
        _("event price"),
        null=True,
        blank=True,
        validators=NOT_NEGATIVE,
        help_text=_(
            "Optional: the price of a place on this event, in the project's currency. "
            "Used when the booking has no agreed price for the course, before its price list and "
            "the "
            "course's default price."
        ),
    )

    class Meta:
        ordering = ["start_date", "title"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="event_end_after_start",
                violation_error_message=_("The event cannot end before it starts."),
            )
        ]

    def __str__(self):
        return f"{self.title} ({self.start_date:%d %b %Y})"

    @property
    def delivery_cost(self):
        return self.trainer_fee + self.venue_cost + self.other_cost

    def clean(self):

        errors = {}
        if self.product_id:
            if self.product.tenant_id != self.tenant_id:
                errors["product"] = "Choose a course of your own company."
            elif self.product.kind == ProductKind.LEARNING_PATH:
                errors["product"] = (
                    "Learning paths are pre-arranged offerings and never part "
                    "of a project: choose a course."
                )
            elif self.product.kind != ProductKind.COURSE:
                errors["product"] = "Events are for courses; add materials and fees as items."
        if self.phase_id and self.phase.project_id != self.project_id:
            errors["phase"] = _("Choose a phase of this project.")
        if self.discount_agreement_id and (
            self.discount_agreement.scope != DiscountScope.EVENT
            or self.discount_agreement.tenant_id != self.tenant_id
        ):
            errors["discount_agreement"] = "Choose a one-event discount agreement."
        if errors:
            raise ValidationError(errors)


class RegistrationStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    CONFIRMED = "confirmed", _("Confirmed")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("No-show")


class PricedRow(TenantOwned):
    """What registrations and items share: a resolved, stored price and its invoicing state."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="+")
    purchase_order = models.ForeignKey(
        PurchaseOrder, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    po_reference = models.CharField(_("purchase-order reference"), max_length=60, blank=True)
    unit_price = money_field(validators=NOT_NEGATIVE)
    price_source = models.CharField(max_length=20, blank=True)
    # The booking's yearly uplift included in `unit_price` (issue 14): the contract year of the
    # row's delivery date and the compounded uplift over the agreed price; empty without one.
    price_year = models.PositiveSmallIntegerField(_("contract year"), null=True, blank=True)
    price_uplift_percent = models.DecimalField(
        _("uplift %"), max_digits=8, decimal_places=3, null=True, blank=True
    )
    price_overridden = models.BooleanField(default=False)
    override_reason = models.CharField(max_length=255, blank=True)
    unit_cost = money_field(default=Decimal("0"), validators=NOT_NEGATIVE)
    net_amount = money_field(default=Decimal("0"), editable=False)
    # Kept by invoicing: `invoiced` while any of the row is on a live invoice line (its price
    # freezes from then on), `billed_quantity` how much of it is (projects.billing.due_units).
    # Neither ever feeds a money figure: what is invoiced comes from issued invoices.
    invoiced = models.BooleanField(default=False, editable=False)
    billed_quantity = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal("0"), editable=False
    )
    notes = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    @property
    def price_source_label(self) -> str:
        """ "agreed price of the booking", "agreed price year 2, +3.5 %", "event's price", …"""
        return price_source_label(self.price_source, self.price_year, self.price_uplift_percent)


class Registration(PricedRow):
    """Places on a private event, with or without named learners."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="registrations")
    event = models.ForeignKey(PrivateEvent, on_delete=models.PROTECT, related_name="registrations")
    learner = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.PROTECT, related_name="registrations"
    )
    places = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    requested_date = models.DateField()
    status = models.CharField(
        max_length=10, choices=RegistrationStatus.choices, default=RegistrationStatus.REQUESTED
    )
    discount_agreement = models.ForeignKey(
        DiscountAgreement, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    discount_percent = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("0"), validators=PERCENT
    )
    prepurchase = models.ForeignKey(
        PrepurchaseAgreement,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("pay from prepurchase agreement"),
    )
    purchase_order = models.ForeignKey(
        PurchaseOrder, null=True, blank=True, on_delete=models.PROTECT, related_name="registrations"
    )
    cancelled_on = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["event__start_date", "pk"]
        indexes = [
            # Places and value as key columns too: the project list's and the overview's sums
            # of a project's ordered places are read from the index alone (issue 18).
            models.Index(
                fields=["tenant", "project", "status", "places", "net_amount"],
                name="registration_project",
            ),
            models.Index(fields=["tenant", "project", "-id"], name="registration_newest"),
            models.Index(fields=["tenant", "event"], name="registration_event"),
        ]

    def __str__(self):
        if self.learner_id:
            who = self.learner.full_name
        else:
            who = ngettext("%(count)s place", "%(count)s places", self.places) % {
                "count": self.places
            }
        return gettext("%(who)s on %(event)s") % {"who": who, "event": self.event.title}

    @property
    def is_billable_status(self) -> bool:
        return self.status in (RegistrationStatus.CONFIRMED, RegistrationStatus.DELIVERED)


class FeeKind(models.TextChoices):
    """Why an item is a fee under the agreement's cancellation terms (blank: an ordinary item)."""

    CANCELLATION = "cancellation", _("Late cancellation fee")
    NO_SHOW = "no_show", _("No-show fee")


class Item(PricedRow):
    """Materials, exam fees, travel: anything sold on the project besides places. A late
    cancellation or a no-show leaves a fee as an item (`fee_kind`, `fee_for`), so it is billed,
    reported and exported as every item is."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    description = models.CharField(max_length=255, blank=True)
    date = models.DateField()
    quantity = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    billable = models.BooleanField(default=True)
    purchase_order = models.ForeignKey(
        PurchaseOrder, null=True, blank=True, on_delete=models.PROTECT, related_name="items"
    )
    fee_kind = models.CharField(max_length=12, choices=FeeKind.choices, blank=True, editable=False)
    fee_for = models.ForeignKey(
        "Registration",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="fees",
        editable=False,
        help_text=_("The cancelled or missed registration this fee is for."),
    )
    phase = models.ForeignKey(
        "projects.Phase",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="items",
        verbose_name=_("phase"),
    )
    # The billing milestone this item bills (`projects.services.phases`): due when the
    # milestone is, whatever the date or billing moment.
    milestone = models.OneToOneField(
        "projects.Milestone",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="item",
        editable=False,
    )

    class Meta:
        ordering = ["date", "pk"]
        indexes = [models.Index(fields=["tenant", "project"], name="item_project")]

    def __str__(self):
        return f"{self.quantity.normalize()} × {self.product.name}"


# Phases and billing milestones (issue 13, part 1): a module of their own, registered here.
# Funding sources (issue 13, part 2): a module of their own, registered with this app.
from projects.funder_models import FunderKind, FunderScope, ProjectFunder  # noqa: E402, F401
from projects.phase_models import (  # noqa: E402, F401
    Milestone,
    MilestoneDue,
    Phase,
    PhaseBilling,
)
