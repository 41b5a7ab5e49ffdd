from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from accounts import services
from accounts.platform.commands import TenantCommand
from accounts.platform.models import Role


class Command(TenantCommand):
    help = "Give a person access to a company; a new person is e-mailed a link to set a password."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--email", required=True)
        parser.add_argument("--role", choices=Role.values, default=Role.STAFF)
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000/",
            help="Address of the app, for the link in the invitation.",
        )

    def handle(self, *args, tenant, email, role, base_url, **options):
        try:
            membership, created = services.membership_add(
                tenant=tenant, by=None, email=email, role=role, invite_base_url=base_url
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"{membership.user.email} is now {membership.get_role_display()} of {tenant.name}"
                + (" (invitation queued)" if created else "")
            )
        )
