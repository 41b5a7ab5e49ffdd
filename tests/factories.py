"""factory-boy factories. Rows are created directly; reads in tests run inside `activate()`."""

import factory
from django.contrib.auth import get_user_model

from accounts.models import Account, AccountKind, Contact, Region
from accounts.platform.models import Membership, Role, Tenant


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Training Company {n}")
    slug = factory.Sequence(lambda n: f"company-{n}")
    base_currency = "EUR"
    country = "GB"
    invoice_prefix = "INV-"
    credit_note_prefix = "CN-"


class UserFactory(factory.django.DjangoModelFactory):
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


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    tenant = factory.SubFactory(TenantFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.STAFF


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Region {n}")


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    tenant = factory.SubFactory(TenantFactory)
    number = factory.Sequence(lambda n: 5000 + n)
    name = factory.Sequence(lambda n: f"Customer {n:04d} Ltd")
    kind = AccountKind.ORGANISATION
    city = "London"
    country = "GB"


class ContactFactory(factory.django.DjangoModelFactory):
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


class TaxRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaxRate

    tenant = factory.SubFactory(TenantFactory)
    code = factory.Sequence(lambda n: f"T{n}")
    name = "Standard"
    percent = Decimal("20")


class PackageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingPackage

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Package {n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    tenant = factory.SubFactory(TenantFactory)
    code = factory.Sequence(lambda n: f"C-{n:04d}")
    name = factory.Sequence(lambda n: f"Course {n}")
    default_price = Decimal("1000.00")
    currency = "EUR"
    unit_cost = Decimal("300.00")


class PriceListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriceList

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Price list {n}")
    currency = "EUR"
    valid_from = datetime.date(2025, 1, 1)


class PriceListEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriceListEntry

    tenant = factory.LazyAttribute(lambda e: e.price_list.tenant)
    price_list = factory.SubFactory(PriceListFactory)
    product = factory.SubFactory(ProductFactory, tenant=factory.SelfAttribute("..tenant"))
    unit_price = Decimal("900.00")


class BookingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Booking

    tenant = factory.LazyAttribute(lambda b: b.account.tenant)
    account = factory.SubFactory(AccountFactory)
    number = factory.Sequence(lambda n: 100 + n)
    name = factory.Sequence(lambda n: f"Framework {n}")
    start_date = datetime.date(2025, 1, 1)
    end_date = datetime.date(2027, 12, 31)
    currency = "EUR"


class DocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BookingDocument

    tenant = factory.LazyAttribute(lambda d: d.booking.tenant)
    booking = factory.SubFactory(BookingFactory)
    file = factory.django.FileField(filename="contract.pdf", data=b"%PDF-1.4 test")
    original_name = "contract.pdf"
    content_type = "application/pdf"
    size = 13


class DiscountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DiscountAgreement

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Discount {n}")
    percent = Decimal("10")
    scope = DiscountScope.EVENT
    valid_from = datetime.date(2025, 1, 1)


class PrepurchaseFactory(factory.django.DjangoModelFactory):
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


class ProjectFactory(factory.django.DjangoModelFactory):
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


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PrivateEvent

    tenant = factory.LazyAttribute(lambda e: e.project.tenant)
    project = factory.SubFactory(ProjectFactory)
    product = factory.SubFactory(ProductFactory, tenant=factory.SelfAttribute("..tenant"))
    title = factory.Sequence(lambda n: f"Course run {n}")
    start_date = datetime.date(2026, 3, 1)
    end_date = datetime.date(2026, 3, 2)


class RegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Registration

    tenant = factory.LazyAttribute(lambda r: r.event.tenant)
    event = factory.SubFactory(EventFactory)
    project = factory.LazyAttribute(lambda r: r.event.project)
    requested_date = datetime.date(2026, 2, 1)
    unit_price = Decimal("1000.00")
    net_amount = Decimal("1000.00")
    places = 1


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item

    tenant = factory.LazyAttribute(lambda i: i.project.tenant)
    project = factory.SubFactory(ProjectFactory)
    product = factory.SubFactory(ProductFactory, tenant=factory.SelfAttribute("..tenant"))
    date = datetime.date(2026, 3, 1)
    quantity = Decimal("1")
    unit_price = Decimal("50.00")
    net_amount = Decimal("50.00")


class ProjectDocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProjectDocument

    tenant = factory.LazyAttribute(lambda d: d.project.tenant)
    project = factory.SubFactory(ProjectFactory)
    file = factory.django.FileField(filename="plan.pdf", data=b"%PDF-1.4 plan")
    original_name = "plan.pdf"
    content_type = "application/pdf"
    size = 13
