"""`manage.py seed_scale`: a large tenant for load tests (see demo/scale.py and `make loadtest`).

manage.py seed_scale --tenant large                  # the sizes of issue 18's table
manage.py seed_scale --tenant large --projects 100 --events 2300 --registrations 9700 ...
"""

import dataclasses
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from accounts import services as account_services
from accounts.platform import rls
from accounts.platform.models import Tenant
from accounts.platform.tenancy import activate
from demo import scale
from demo.management.commands.seed_demo import DEMO_PASSWORD


class Command(BaseCommand):
    help = "Build a large tenant (thousands of accounts, projects and invoices) for load tests."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", default="large", help="The new tenant's slug.")
        parser.add_argument(
            "--if-missing", action="store_true", help="Do nothing when the tenant exists."
        )
        for field in dataclasses.fields(scale.Sizes):
            parser.add_argument(
                f"--{field.name}",
                type=int,
                default=field.default,
                help=f"default {field.default:,}",
            )

    def handle(self, *args, **options):
        slug = options["tenant"]
        if Tenant.objects.filter(slug=slug).exists():
            if options["if_missing"]:
                self.stdout.write(f"Tenant /{slug}/ exists: left as it is.")
                return
            raise CommandError(
                f"A tenant “{slug}” exists already: choose another --tenant, or delete it first."
            )
        sizes = scale.Sizes(**{f.name: options[f.name] for f in dataclasses.fields(scale.Sizes)})
        email = f"admin@{slug}.example"
        with transaction.atomic():
            tenant, user, _password = account_services.tenant_create(
                name=f"{slug.title()} Training (load test)",
                slug=slug,
                admin_email=email,
                admin_password=DEMO_PASSWORD,
                base_currency="GBP",
                country="GB",
                invoice_prefix="LT-",
                credit_note_prefix="LTC-",
            )
        with activate(tenant):
            scale.build(
                tenant,
                user=user,
                sizes=sizes,
                today=timezone.localdate(),
                log=lambda line: self.stdout.write(line),
            )
        _vacuum_analyze(log=lambda line: self.stdout.write(line))
        self.stdout.write(
            self.style.SUCCESS(f"Tenant /{slug}/ ready: log in as {email} / {DEMO_PASSWORD}")
        )


def _vacuum_analyze(log) -> None:
    """What autovacuum does a minute or so after a bulk load, done now: without fresh
    statistics PostgreSQL guessed 35 invoices where there were 21,000 and sorted them all for
    the list's first 25 rows (60 ms instead of 1), and without the visibility map each COUNT
    read every row instead of the index (11 ms instead of 2). A load test measured right after
    seeding measured that, not the pages."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return  # SQLite; or inside a transaction (a test's), where VACUUM cannot run
    started = time.monotonic()
    # As the tables' owner (the app's role may not vacuum them), outside any transaction.
    with rls.as_owner(), connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    log(f"  {time.monotonic() - started:6.1f} s  VACUUM (ANALYZE)")
