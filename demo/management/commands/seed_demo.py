"""Build the demo: Northwind Training (full) and Contoso Learning (small, to see isolation).

The `demo` package has one module per app with `build(tenant, *, user, rng)`; they run in the
apps' order (accounts, agreements, projects, invoicing), each inside the tenant's scope. A tenant
that exists already is left as it is, so the command is idempotent.
"""

import random

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts import services as account_services
from accounts.platform.models import Membership, Role, Tenant
from accounts.platform.tenancy import activate
from demo import accounting as accounting_demo
from demo import (
    accounts,
    agreements,
    cancellations,
    deposits,
    funders,
    invoicing,
    multiproject,
    projects,
    terms,
)
from demo import bank as bank_demo
from demo import payments as payment_demo
from demo import programmes as programme_demo
from demo import reminders as reminder_demo
from demo import saved_views as saved_view_demo
from demo import sharing as sharing_demo

# In the apps' order: each builds on the rows of the ones before (the agreements' terms before
# the projects whose no-shows they bill; the cancellations before the invoices that bill them).
BUILDERS = [accounts, agreements, terms, projects, cancellations, invoicing]
BUILDERS += [deposits]  # issue 14, part 4: after the other invoices, so numbers follow dates
BUILDERS += [payment_demo]  # issue 16: part payments, over-payments, reversals, credits, EUR
BUILDERS += [bank_demo]  # issue 16.4: a camt.053 statement, lines matched and waiting for review
BUILDERS += [reminder_demo]  # issue 16.3: dunning levels, an account on hold, reminders sent
BUILDERS += [accounting_demo]  # issue 16.5: the accounting mapping and a batch for every format
BUILDERS += [programme_demo]  # issue 13: a phased programme; last, its invoice is issued today
BUILDERS += [funders]  # issue 13.2: a programme a grant pays 40 % of, up to a cap
BUILDERS += [multiproject]  # issue 13.3: two projects of one billing account on one invoice
BUILDERS += [sharing_demo]  # issue 13.5/13.6: classes for every project built above; one shared
BUILDERS += [saved_view_demo]  # issue 17: the staff member's saved list views

DEMO_PASSWORD = "demo-pass-2026"

TENANTS = [
    {
        "slug": "northwind",
        "name": "Northwind Training",
        "base_currency": "GBP",
        "country": "GB",
        "invoice_prefix": "NWT-",
        "credit_note_prefix": "NWC-",
        "payment_terms_days": 30,
        # What an invoice must carry (issue 15): set through Company settings' service.
        "legal": {
            "address": "21 Kingsway",
            "postal_code": "WC2B 6XF",
            "city": "London",
            "vat_number": "GB980780684",
            "registration_number": "09876543",
            "registration_register": "Companies House, England and Wales",
            "invoice_contact_name": "Fiona Fraser",
            "invoice_email": "accounts@northwind.example",
            "invoice_phone": "+44 20 7946 0321",
        },
        "members": [
            ("anna.admin@northwind.example", "Anna", "Adams", Role.ADMIN),
            ("sam.staff@northwind.example", "Sam", "Stewart", Role.STAFF),
            ("fiona.finance@northwind.example", "Fiona", "Fraser", Role.FINANCE),
            ("victor.viewer@northwind.example", "Victor", "Vance", Role.VIEWER),
        ],
    },
    {
        "slug": "contoso",
        "name": "Contoso Learning",
        "base_currency": "EUR",
        "country": "FR",
        "invoice_prefix": "CL-",
        "credit_note_prefix": "CLA-",
        "payment_terms_days": 45,
        "legal": {
            "address": "8 rue de la Paix",
            "postal_code": "75002",
            "city": "Paris",
            "vat_number": "FR16039661426",
            "registration_number": "039 661 426",
            "registration_register": "RCS Paris",
            "invoice_contact_name": "Olivia Moreau",
            "invoice_email": "facturation@contoso.example",
            "invoice_phone": "+33 1 42 68 53 00",
        },
        "members": [
            ("olivia.owner@contoso.example", "Olivia", "Moreau", Role.ADMIN),
            # A consultant who works for both companies: after login they pick one.
            ("sam.staff@northwind.example", "Sam", "Stewart", Role.STAFF),
        ],
    },
]


class Command(BaseCommand):
    help = "Load the demo companies (idempotent) and print their logins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when any company exists already."
        )

    def handle(self, *args, **options):
        if options["if_empty"] and Tenant.objects.exists():
            self.stdout.write("Companies exist already; demo data not loaded.")
            self.print_logins()
            return
        User = get_user_model()
        if not User.objects.filter(username="platform@example.com").exists():
            User.objects.create_superuser(
                "platform@example.com", "platform@example.com", DEMO_PASSWORD
            )
        for spec in TENANTS:
            self.build_tenant(dict(spec), User)
        self.print_logins()

    @transaction.atomic
    def build_tenant(self, spec, User):
        members = spec.pop("members")
        legal = spec.pop("legal")
        if Tenant.objects.filter(slug=spec["slug"]).exists():
            self.stdout.write(f"{spec['name']} exists already; left as it is.")
            return
        tenant = Tenant.objects.create(**spec)
        rng = random.Random(f"demo-{tenant.slug}")
        with activate(tenant):
            users = []
            for email, first, last, role in members:
                user = User.objects.filter(username=email).first()
                if user is None:
                    user = User.objects.create_user(
                        email, email, DEMO_PASSWORD, first_name=first, last_name=last
                    )
                Membership.objects.create(tenant=tenant, user=user, role=role)
                users.append(user)
            # Legal details first: every demo invoice is issued after them and freezes them.
            tenant = account_services.tenant_update(tenant=tenant, by=users[0], **legal)
            for module in BUILDERS:
                module.build(tenant, user=users[0], rng=rng)
        self.stdout.write(self.style.SUCCESS(f"Built {tenant.name} at /{tenant.slug}/"))

    def print_logins(self):
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
        for spec in TENANTS:
            for email, _first, _last, role in spec["members"]:
                self.stdout.write(f"  {spec['name']:<20} {role.label:<8} {email}")
        self.stdout.write(
            f"  {'Platform (all)':<20} {'Superuser':<8} platform@example.com  (/admin/)"
        )
