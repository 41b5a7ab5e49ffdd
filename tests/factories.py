"""factory-boy factories. Rows are created directly; reads in tests run inside `activate()`."""

import factory
from django.contrib.auth import get_user_model

from accounts.models import Account, AccountKind, Contact, Membership, Region, Role, Tenant


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
