from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts import services


class Command(BaseCommand):
    help = "Create a training company (tenant) and its first admin user."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="Company name, e.g. 'Acme Training'.")
        parser.add_argument("--slug", required=True, help="Address part, e.g. 'acme' for /acme/.")
        parser.add_argument("--admin-email", required=True)
        parser.add_argument(
            "--admin-password",
            help="Password for a new admin user; one is generated and printed when omitted.",
        )
        parser.add_argument("--currency", default="EUR", help="Base currency (ISO 4217).")
        parser.add_argument("--country", default="", help="Country (ISO 3166 alpha-2).")

    def handle(self, *args, **options):
        try:
            tenant, user, password = services.tenant_create(
                name=options["name"],
                slug=options["slug"],
                admin_email=options["admin_email"],
                admin_password=options["admin_password"],
                base_currency=options["currency"].upper(),
                country=options["country"].upper(),
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(self.style.SUCCESS(f"Created {tenant.name} at /{tenant.slug}/"))
        self.stdout.write(f"Admin: {user.email}")
        if password:
            self.stdout.write(f"Password: {password}  (change it after the first login)")
