from crispy_forms.layout import Column, Fieldset, Row
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.filters import search_remotely
from accounts.models import Account, AccountKind, Contact, Region
from accounts.platform.bounds import parse_id
from accounts.platform.forms import DATE, Form, TenantFormMixin, column_field, helper
from accounts.platform.models import MemberGroup, Membership
from accounts.platform.money import currency_choices
from agreements.cancellations import terms_for, transfer_deadline
from agreements.models import (
    BillingMoment,
    Booking,
    DiscountAgreement,
    DiscountScope,
    PrepurchaseAgreement,
    PrepurchaseStatus,
    Product,
    ProductKind,
    TrainingPackage,
)
from projects.models import (
    Item,
    Phase,
    PrivateEvent,
    Project,
    ProjectClass,
    ProjectFunder,
    ProjectSettings,
    ProjectStatus,
    PurchaseOrder,
    Registration,
    RegistrationStatus,
    Visibility,
)
from projects.services.learners import parse_learners
from projects.services.rows import learner_accounts
from projects.sharing_models import visible_q


def member_users():
    return (
        get_user_model()
        .objects.filter(pk__in=Membership.objects.values("user_id"))
        .order_by("first_name", "last_name")
    )


class ProjectForm(TenantFormMixin, forms.ModelForm):
    currency = forms.ChoiceField(
        required=False, help_text=_("Leave empty to take the customer's or the booking's currency.")
    )
    products = forms.ModelMultipleChoiceField(
        queryset=Product.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Filled from the booking's agreed prices when left empty."),
    )

    class Meta:
        model = Project
        fields = [
            "name",
            "account",
            "booking",
            "parent",
            "start_date",
            "end_date",
            "billing_account",
            "main_contact",
            "invoice_email",
            "region",
            "currency",
            "manager",
            "project_class",
            "project_type",
            "do_not_invoice",
            "budget_policy",
            "handling_fee_percent",
            "max_billing_amount",
            "revenue_recognition",
            "billing_moment",
            "require_purchase_order",
            "tags",
            "internal_notes",
            "external_notes",
        ]
        widgets = {
            "start_date": DATE,
            "end_date": DATE,
            "internal_notes": forms.Textarea(attrs={"rows": 3}),
            "external_notes": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"account": "Customer (organisation)"}

    def __init__(self, *args, membership=None, **kwargs):
        super().__init__(*args, **kwargs)
        account_id = (
            self.instance.account_id
            or self.initial.get("account")
            or (self.data.get("account") if self.data else None)
        )
        self.fields["account"].queryset = Account.objects.filter(
            kind=AccountKind.ORGANISATION
        ).order_by("name")
        self.fields["billing_account"].queryset = Account.objects.order_by("name")
        self.fields["billing_account"].required = False
        search_remotely(self.fields["account"], "accounts:account-options", "kind=organisation")
        search_remotely(self.fields["billing_account"], "accounts:account-options")
        bookings = Booking.objects.select_related("account").order_by("-start_date")
        contacts = Contact.objects.select_related("account").order_by("last_name")
        if parse_id(account_id):
            account = Account.objects.filter(pk=parse_id(account_id)).first()
            if account is not None:
                bookings = bookings.filter(account_id__in=[account.pk, account.parent_id])
                contacts = contacts.filter(account=account)
        self.fields["booking"].queryset = bookings
        self.fields["main_contact"].queryset = contacts
        if not parse_id(account_id):  # every contact of the company: searched, never listed
            search_remotely(self.fields["main_contact"], "accounts:contact-options")
        self.fields["parent"].queryset = Project.objects.exclude(pk=self.instance.pk).order_by(
            "code"
        )
        search_remotely(self.fields["parent"], "projects:project-options")
        self.fields["region"].queryset = Region.objects.order_by("name")
        # Pick lists offer what is in use: active parents and classes (and the current ones).
        self.fields["parent"].queryset = self.fields["parent"].queryset.filter(
            Q(status=ProjectStatus.ACTIVE) | Q(pk=self.instance.parent_id or 0)
        )
        if membership is not None:  # and only projects shared with the member (a view passes it)
            self.fields["parent"].queryset = self.fields["parent"].queryset.filter(
                visible_q(membership) | Q(pk=self.instance.parent_id or 0)
            )
        self.fields["project_class"].queryset = ProjectClass.objects.filter(
            Q(is_active=True) | Q(pk=self.instance.project_class_id or 0)
        ).order_by("name")
        self.fields["manager"].queryset = member_users()
        self.fields["manager"].label_from_instance = lambda u: u.get_full_name() or u.email
        self.fields["currency"].choices = [("", "—"), *currency_choices()]
        self.fields["billing_moment"].choices = [
            ("", "As each product says"),
            *BillingMoment.choices,
        ]
        self.fields["products"].queryset = (
            Product.objects.exclude(kind=ProductKind.LEARNING_PATH)
            .filter(is_active=True)
            .order_by("code")
        )
        if self.instance.pk:
            self.initial["products"] = list(
                self.instance.products.values_list("product_id", flat=True)
            )
        self.helper = helper(
            Fieldset(
                _("Project"),
                Row(Column("name", css_class="col-md-6"), Column("account"), Column("booking")),
                Row(Column("start_date"), Column("end_date"), Column("parent"), Column("manager")),
            ),
            Fieldset(
                _("Customer and invoicing"),
                Row(Column("billing_account"), Column("main_contact"), Column("invoice_email")),
                Row(
                    Column("region"),
                    Column("currency"),
                    Column("project_type"),
                    Column("revenue_recognition"),
                ),
                Row(
                    Column("budget_policy"),
                    Column("billing_moment"),
                    Column("handling_fee_percent"),
                    Column("max_billing_amount"),
                ),
                Row(
                    Column("project_class"),
                    Column("do_not_invoice"),
                    Column("require_purchase_order"),
                ),
            ),
            Fieldset(
                _("Products and notes"),
                "products",
                "tags",
                Row(Column("internal_notes"), Column("external_notes")),
            ),
        )


class EventForm(TenantFormMixin, forms.ModelForm):
    class Meta:
        model = PrivateEvent
        fields = [
            "product",
            "title",
            "start_date",
            "end_date",
            "venue",
            "trainer",
            "capacity",
            "status",
            "trainer_fee",
            "venue_cost",
            "other_cost",
            "discount_agreement",
            "unit_price",
            "phase",
        ]
        widgets = {"start_date": DATE, "end_date": DATE}

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.project = project
        offered = project.products.values("product_id")
        courses = Product.objects.filter(kind=ProductKind.COURSE, is_active=True)
        self.fields["product"].queryset = (
            courses.filter(pk__in=offered) if project.products.exists() else courses
        ).order_by("code")
        self.fields["discount_agreement"].queryset = DiscountAgreement.objects.filter(
            scope=DiscountScope.EVENT, is_active=True
        ).order_by("name")
        self.fields["title"].required = False
        self.fields["title"].help_text = "Leave empty to use the course name."
        self.helper = helper(
            Row(Column("product"), Column("title")),
            Row(Column("start_date"), Column("end_date"), Column("status"), Column("capacity")),
            Row(Column("venue"), Column("trainer"), Column("discount_agreement")),
            Row(Column("trainer_fee"), Column("venue_cost"), Column("other_cost")),
            Row(Column("unit_price", css_class="col-md-4"), Column("phase", css_class="col-md-4")),
        )
        self.fields["phase"].queryset = Phase.objects.filter(project=project)
        self.fields["unit_price"].help_text = (
            f"Optional: what a place on this event costs, in {project.currency}. Used when the "
            "booking has no agreed price for the course, before its price list and the course's "
            "default price (never uplifted)."
        )


DISCOUNT_AUTO, DISCOUNT_NONE = "auto", "none"


class RegistrationAddForm(Form):
    event = forms.ModelChoiceField(queryset=PrivateEvent.objects.none())
    learners = forms.ModelMultipleChoiceField(
        queryset=Contact.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("One place each. Leave empty to book a block of places without names."),
    )
    new_learners = forms.CharField(
        required=False,
        max_length=20000,
        label=_("Learners not in the list"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One per line, e.g. “Ada Lovelace, ada@example.com”, or paste the name and "
            "e-mail columns from a spreadsheet. They are added to the customer's contacts (someone "
            "whose e-mail is there already is that contact, not a second one)."
        ),
    )
    places = column_field(
        Registration, "places", initial=1, help_text=_("Only for a block of places without names.")
    )
    requested_date = forms.DateField(widget=DATE)
    purchase_order = forms.ModelChoiceField(queryset=PurchaseOrder.objects.none(), required=False)
    po_reference = forms.CharField(
        max_length=60, required=False, label=_("or the customer's reference")
    )
    discount = forms.ChoiceField(required=False)
    prepurchase = forms.ModelChoiceField(
        queryset=PrepurchaseAgreement.objects.none(),
        required=False,
        label=_("Pay from prepurchase agreement"),
        help_text=_(
            "Priced from the agreement's price list less its discount, instead of the "
            "booking's prices and discount agreements."
        ),
    )
    notes = forms.CharField(max_length=255, required=False)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        self.fields["event"].queryset = (
            PrivateEvent.objects.filter(project=project)
            .exclude(status="cancelled")
            .order_by("start_date")
        )
        self.fields["learners"].queryset = Contact.objects.filter(
            account__in=[project.account_id, *project.account.children.values_list("pk", flat=True)]
        ).order_by("last_name", "first_name")
        self.fields["purchase_order"].queryset = PurchaseOrder.objects.filter(project=project)
        discounts = DiscountAgreement.objects.filter(is_active=True).filter(
            account__isnull=True
        ) | DiscountAgreement.objects.filter(is_active=True, account=project.account)
        self.fields["discount"].choices = [
            (DISCOUNT_AUTO, "Best eligible discount (automatic)"),
            (DISCOUNT_NONE, "No discount"),
            *((str(d.pk), str(d)) for d in discounts.order_by("name")),
        ]
        self.fields["prepurchase"].queryset = PrepurchaseAgreement.objects.filter(
            account=project.account, status=PrepurchaseStatus.ACTIVE
        )
        self.helper = helper(
            Row(Column("event"), Column("requested_date"), Column("places")),
            "learners",
            "new_learners",
            Row(
                Column("purchase_order"),
                Column("po_reference"),
                Column("discount"),
                Column("prepurchase"),
            ),
            "notes",
            "confirm",
        )

    def clean_new_learners(self):
        return parse_learners(self.cleaned_data.get("new_learners") or "")

    def discount_choice(self):
        value = self.cleaned_data.get("discount") or DISCOUNT_AUTO
        if value == DISCOUNT_AUTO:
            return "auto"
        if value == DISCOUNT_NONE:
            return None
        return DiscountAgreement.objects.filter(pk=value).first()


class RegistrationEditForm(Form):
    status = forms.ChoiceField(
        choices=RegistrationStatus.choices,
        help_text=_(
            "To cancel a place or mark a no-show, use the buttons below: the agreement's "
            "terms may charge a fee."
        ),
    )
    learner = forms.ModelChoiceField(queryset=Contact.objects.none(), required=False)
    purchase_order = forms.ModelChoiceField(queryset=PurchaseOrder.objects.none(), required=False)
    po_reference = forms.CharField(max_length=60, required=False)
    notes = forms.CharField(max_length=255, required=False)

    def __init__(self, *args, registration, **kwargs):
        super().__init__(*args, **kwargs)
        project = registration.project
        self.fields["learner"].queryset = Contact.objects.filter(account=project.account)
        self.fields["purchase_order"].queryset = PurchaseOrder.objects.filter(project=project)
        under_terms = {RegistrationStatus.CANCELLED, RegistrationStatus.NO_SHOW}
        self.fields["status"].choices = [
            (value, label)
            for value, label in RegistrationStatus.choices
            if value not in under_terms or value == registration.status
        ]
        self.helper = helper(
            Row(Column("status"), Column("learner")),
            Row(Column("purchase_order"), Column("po_reference")),
            "notes",
        )


class PriceOverrideForm(Form):
    unit_price = column_field(Registration, "unit_price", min_value=0)
    reason = forms.CharField(max_length=255)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = helper(Row(Column("unit_price"), Column("reason", css_class="col-md-8")))


class ItemForm(Form):
    product = forms.ModelChoiceField(queryset=Product.objects.none())
    date = forms.DateField(widget=DATE)
    quantity = column_field(Item, "quantity", initial=1)
    description = forms.CharField(
        max_length=255, required=False, help_text=_("Leave empty to use the product name.")
    )
    purchase_order = forms.ModelChoiceField(queryset=PurchaseOrder.objects.none(), required=False)
    po_reference = forms.CharField(
        max_length=60, required=False, label=_("or the customer's reference")
    )
    billable = forms.BooleanField(required=False, initial=True)
    notes = forms.CharField(max_length=255, required=False)
    phase = forms.ModelChoiceField(queryset=Phase.objects.none(), required=False)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = (
            Product.objects.exclude(kind=ProductKind.LEARNING_PATH)
            .filter(is_active=True)
            .order_by("code")
        )
        self.fields["purchase_order"].queryset = PurchaseOrder.objects.filter(project=project)
        self.fields["phase"].queryset = Phase.objects.filter(project=project)
        self.helper = helper(
            Row(Column("product", css_class="col-md-5"), Column("date"), Column("quantity")),
            Row(Column("description"), Column("purchase_order"), Column("po_reference")),
            Row(Column("notes"), Column("phase"), Column("billable")),
            "confirm",
        )


class PurchaseOrderForm(TenantFormMixin, forms.ModelForm):
    class Meta:
        model = PurchaseOrder
        fields = ["number", "value_cap", "valid_from", "valid_to", "notes"]
        widgets = {"valid_from": DATE, "valid_to": DATE}

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.project = project
        self.helper = helper(
            Row(Column("number"), Column("value_cap"), Column("valid_from"), Column("valid_to")),
            "notes",
        )


class FunderForm(TenantFormMixin, forms.ModelForm):
    """A funding source of the project (`services.funder_save` checks the rules)."""

    products = forms.ModelMultipleChoiceField(
        queryset=Product.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Products it funds"),
        help_text=_("Leave both lists empty for a funder of every line."),
    )
    packages = forms.ModelMultipleChoiceField(
        queryset=TrainingPackage.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Training packages it funds"),
    )

    class Meta:
        model = ProjectFunder
        fields = ["kind", "name", "account", "priority", "percent", "cap", "admin_fee_percent"]

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.project = project
        self.fields["account"].queryset = Account.objects.filter(
            kind=AccountKind.ORGANISATION
        ).order_by("name")
        # A search, not an <option> per organisation (2,000 of them: 50 ms a page; issue 18).
        search_remotely(self.fields["account"], "accounts:account-options", "kind=organisation")
        self.fields["cap"].label = _("Cap (%(currency)s)") % {"currency": project.currency}
        self.fields["products"].queryset = (
            Product.objects.exclude(kind=ProductKind.LEARNING_PATH)
            .filter(is_active=True)
            .order_by("code")
        )
        self.fields["packages"].queryset = TrainingPackage.objects.order_by("name")
        if self.instance.pk:
            scopes = list(self.instance.scopes.all())
            self.initial["products"] = [s.product_id for s in scopes if s.product_id]
            self.initial["packages"] = [s.package_id for s in scopes if s.package_id]
        self.helper = helper(
            Row(Column("kind"), Column("name", css_class="col-md-5"), Column("account")),
            Row(Column("priority"), Column("percent"), Column("cap"), Column("admin_fee_percent")),
            Row(Column("products"), Column("packages")),
        )


class BulkStatusForm(Form):
    selected = forms.TypedMultipleChoiceField(coerce=int, choices=(), required=False)
    status = forms.ChoiceField(choices=RegistrationStatus.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        raw = self.data.getlist("selected") if hasattr(self.data, "getlist") else []
        self.fields["selected"].choices = [(value, value) for value in raw]


class CopyProjectForm(Form):
    name = forms.CharField(max_length=200)
    # Issue 13: the plan (phases, events, items, milestones) too, moved to a new start date;
    # or the copy kept as a template.
    start_date = forms.DateField(required=False, widget=DATE)
    with_plan = forms.BooleanField(required=False)
    as_template = forms.BooleanField(required=False)


class RegistrationTransferForm(Form):
    """Where a place goes: another learner of the customer, a later event of the same course."""

    learner = forms.ModelChoiceField(
        queryset=Contact.objects.none(), required=False, label=_("New learner")
    )
    event = forms.ModelChoiceField(
        queryset=PrivateEvent.objects.none(), required=False, label=_("Later event")
    )

    def __init__(self, *args, registration, **kwargs):
        super().__init__(*args, **kwargs)
        project = registration.project
        event = registration.event
        self.fields["learner"].queryset = (
            Contact.objects.filter(account_id__in=learner_accounts(project))
            .exclude(pk=registration.learner_id)
            .order_by("last_name", "first_name")
        )
        self.fields["event"].queryset = (
            PrivateEvent.objects.filter(
                project=project, product_id=event.product_id, start_date__gt=event.start_date
            )
            .exclude(status="cancelled")
            .order_by("start_date")
        )
        if registration.places != 1:
            del self.fields["learner"]
        terms = terms_for(tenant=project.tenant_id, booking=project.booking)
        self.deadline = transfer_deadline(terms, event.start_date)
        self.terms_source = terms.source
        self.helper = helper(
            Row(*(Column(name) for name in self.fields)),
        )

    def clean(self):
        data = super().clean()
        if not data.get("learner") and not data.get("event"):
            raise forms.ValidationError(_("Choose the new learner, the later event, or both."))
        data.setdefault("learner", None)
        return data


class ProjectSettingsForm(TenantFormMixin, forms.ModelForm):
    class Meta:
        model = ProjectSettings
        fields = ["default_budget_policy"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = helper(Row(Column("default_budget_policy", css_class="col-md-6")))


class ProjectSharingForm(Form):
    """Who sees the project: everyone, or its manager and the members and groups ticked."""

    visibility = forms.ChoiceField(
        choices=Visibility.choices, widget=forms.RadioSelect, label=_("Shared with")
    )
    members = forms.ModelMultipleChoiceField(
        queryset=Membership.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Members"),
        help_text=_("Admins and finance see every project; the manager always sees it."),
    )
    groups = forms.ModelMultipleChoiceField(
        queryset=MemberGroup.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Groups"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = Membership.objects.select_related("user")
        self.fields["members"].label_from_instance = lambda m: (
            f"{m.user.get_full_name() or m.user.email} ({m.get_role_display()})"
        )
        self.fields["groups"].queryset = MemberGroup.objects.order_by("name")
        self.fields["groups"].help_text = _("Admins keep the groups under Settings → Groups.")
        self.helper = helper("visibility", Row(Column("members"), Column("groups")))


class ProjectClassForm(TenantFormMixin, forms.ModelForm):
    class Meta:
        model = ProjectClass
        fields = ["name", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = helper(Row(Column("name"), Column("is_active")))


class ProjectCurrencyForm(Form):
    currency = forms.ChoiceField(label=_("New currency"))

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = [
            (code, label) for code, label in currency_choices() if code != project.currency
        ]
        self.helper = helper(Row(Column("currency", css_class="col-md-4")))
