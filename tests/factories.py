"""factory-boy factories. Rows are created directly; reads in tests run inside `activate()`."""

import factory
from django.contrib.auth import get_user_model

from accounts.models import Account, AccountKind, Contact, Region
from accounts.platform import rls
from accounts.platform.models import Membership, Role, Tenant


class ModelFactory(factory.django.DjangoModelFactory):
    """Writes a tenant-owned row as its own tenant, whatever scope the test is in: on PostgreSQL
    row-level security refuses a row of no tenant, or of another tenant than the active one."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        tenant = kwargs.get("tenant")
        tenant_id = getattr(tenant, "pk", tenant) if tenant is not None else kwargs.get("tenant_id")
        if tenant_id is None:
            return super()._create(model_class, *args, **kwargs)
        with rls.tenant(tenant_id):
            return super()._create(model_class, *args, **kwargs)


class TenantFactory(ModelFactory):
    class Meta:
        model = Tenant
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Training Company {n}")
    slug = factory.Sequence(lambda n: f"company-{n}")
    base_currency = "EUR"
    country = "GB"
    invoice_prefix = "INV-"
    credit_note_prefix = "CN-"


class UserFactory(ModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}@example.com")
    email = factory.LazyAttribute(lambda user: user.username)
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User{n}")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(ModelFactory):
    class Meta:
        model = Membership

    tenant = factory.SubFactory(TenantFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.STAFF


class RegionFactory(ModelFactory):
    class Meta:
        model = Region

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Region {n}")


class AccountFactory(ModelFactory):
    class Meta:
        model = Account

    tenant = factory.SubFactory(TenantFactory)
    number = factory.Sequence(lambda n: 5000 + n)
    name = factory.Sequence(lambda n: f"Customer {n:04d} Ltd")
    kind = AccountKind.ORGANISATION
    city = "London"
    country = "GB"


class ContactFactory(ModelFactory):
    class Meta:
        model = Contact

    tenant = factory.LazyAttribute(lambda contact: contact.account.tenant)
    account = factory.SubFactory(AccountFactory)
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = factory.Sequence(lambda n: f"Last{n}")
    email = factory.LazyAttribute(lambda c: f"{c.first_name}.{c.last_name}@example.com".lower())


# --- agreements -----------------------------------------------------------------------------

import datetime  # noqa: E402
from decimal import Decimal  # noqa: E402

from agreements.models import (  # noqa: E402
    Booking,
    BookingDocument,
    DiscountAgreement,
    DiscountScope,
    PrepurchaseAgreement,
    PriceList,
    PriceListEntry,
    Product,
    TaxRate,
    TrainingPackage,
)


class TaxRateFactory(ModelFactory):
    class Meta:
        model = TaxRate

    tenant = factory.SubFactory(TenantFactory)
    code = factory.Sequence(lambda n: f"T{n}")
    name = "Standard"
    percent = Decimal("20")


class PackageFactory(ModelFactory):
    class Meta:
        model = TrainingPackage

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Package {n}")


class ProductFactory(ModelFactory):
    class Meta:
        model = Product

    tenant = factory.SubFactory(TenantFactory)
    code = factory.Sequence(lambda n: f"C-{n:04d}")
    name = factory.Sequence(lambda n: f"Course {n}")
    default_price = Decimal("1000.00")
    currency = "EUR"
    unit_cost = Decimal("300.00")


class PriceListFactory(ModelFactory):
    class Meta:
        model = PriceList

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Price list {n}")
    currency = "EUR"
    valid_from = datetime.date(2025, 1, 1)


class PriceListEntryFactory(ModelFactory):
    class Meta:
        model = PriceListEntry

    tenant = factory.LazyAttribute(lambda e: e.price_list.tenant)
    price_list = factory.SubFactory(PriceListFactory)
    product = factory.SubFactory(ProductFactory, tenant=factory.SelfAttribute("..tenant"))
    unit_price = Decimal("900.00")


class BookingFactory(ModelFactory):
    class Meta:
        model = Booking

    tenant = factory.LazyAttribute(lambda b: b.account.tenant)
    account = factory.SubFactory(AccountFactory)
    number = factory.Sequence(lambda n: 100 + n)
    name = factory.Sequence(lambda n: f"Framework {n}")
    start_date = datetime.date(2025, 1, 1)
    end_date = datetime.date(2027, 12, 31)
    currency = "EUR"


class DocumentFactory(ModelFactory):
    class Meta:
        model = BookingDocument

    tenant = factory.LazyAttribute(lambda d: d.booking.tenant)
    booking = factory.SubFactory(BookingFactory)
    file = factory.django.FileField(filename="contract.pdf", data=b"%PDF-1.4 test")
    original_name = "contract.pdf"
    content_type = "application/pdf"
    size = 13


class DiscountFactory(ModelFactory):
    class Meta:
        model = DiscountAgreement

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Discount {n}")
    percent = Decimal("10")
    scope = DiscountScope.EVENT
    valid_from = datetime.date(2025, 1, 1)


class PrepurchaseFactory(ModelFactory):
    class Meta:
        model = PrepurchaseAgreement

    tenant = factory.LazyAttribute(lambda p: p.account.tenant)
    account = factory.SubFactory(AccountFactory)
    price_list = factory.SubFactory(PriceListFactory, tenant=factory.SelfAttribute("..tenant"))
    number = factory.Sequence(lambda n: 100 + n)
    name = factory.Sequence(lambda n: f"Prepurchase {n}")
    start_date = datetime.date(2025, 1, 1)
    end_date = datetime.date(2030, 12, 31)


# --- projects -------------------------------------------------------------------------------

from projects.models import (  # noqa: E402
    Item,
    PrivateEvent,
    Project,
    ProjectDocument,
    Registration,
)


class ProjectFactory(ModelFactory):
    class Meta:
        model = Project

    tenant = factory.LazyAttribute(lambda p: p.account.tenant)
    account = factory.SubFactory(AccountFactory)
    billing_account = factory.SelfAttribute("account")
    code = factory.Sequence(lambda n: f"PR-{5000 + n}")
    name = factory.Sequence(lambda n: f"Project {n}")
    start_date = datetime.date(2026, 1, 1)
    end_date = datetime.date(2027, 12, 31)
    currency = "EUR"


class EventFactory(ModelFactory):
    class Meta:
        model = PrivateEvent

    tenant = factory.LazyAttribute(lambda e: e.project.tenant)
    project = factory.SubFactory(ProjectFactory)
    product = factory.SubFactory(ProductFactory, tenant=factory.SelfAttribute("..tenant"))
    title = factory.Sequence(lambda n: f"Course run {n}")
    start_date = datetime.date(2026, 3, 1)
    end_date = datetime.date(2026, 3, 2)


class RegistrationFactory(ModelFactory):
    class Meta:
        model = Registration

    tenant = factory.LazyAttribute(lambda r: r.event.tenant)
    event = factory.SubFactory(EventFactory)
    project = factory.LazyAttribute(lambda r: r.event.project)
    requested_date = datetime.date(2026, 2, 1)
    unit_price = Decimal("1000.00")
    net_amount = Decimal("1000.00")
    places = 1


class ItemFactory(ModelFactory):
    class Meta:
        model = Item

    tenant = factory.LazyAttribute(lambda i: i.project.tenant)
    project = factory.SubFactory(ProjectFactory)
    product = factory.SubFactory(ProductFactory, tenant=factory.SelfAttribute("..tenant"))
    date = datetime.date(2026, 3, 1)
    quantity = Decimal("1")
    unit_price = Decimal("50.00")
    net_amount = Decimal("50.00")


class ProjectDocumentFactory(ModelFactory):
    class Meta:
        model = ProjectDocument

    tenant = factory.LazyAttribute(lambda d: d.project.tenant)
    project = factory.SubFactory(ProjectFactory)
    file = factory.django.FileField(filename="plan.pdf", data=b"%PDF-1.4 plan")
    original_name = "plan.pdf"
    content_type = "application/pdf"
    size = 13


# --- bank accounts (issue 15) -----------------------------------------------------------------

from accounts.models import BankAccount  # noqa: E402


class BankAccountFactory(ModelFactory):
    """A company's EUR bank account with a valid IBAN and BIC."""

    class Meta:
        model = BankAccount

    tenant = factory.SubFactory(TenantFactory)
    label = factory.Sequence(lambda n: f"Bank account {n}")
    bank_name = "Commerzbank"
    currency = "EUR"
    iban = "DE89370400440532013000"
    bic = "COBADEFFXXX"
