"""`manage.py send_reminders [--tenant slug] [--dry-run]`: the daily payment reminders, for one
company or for every active one (README: run it from cron or a systemd timer)."""

from django.core.management.base import BaseCommand, CommandError

from accounts.platform.models import Tenant
from accounts.platform.tenancy import activate
from invoicing.services.reminders import send_reminders


class Command(BaseCommand):
    help = (
        "E-mail each billing account its due payment reminders (one e-mail listing its overdue "
        "invoices); never the same level twice for an invoice. Run it once a day."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="One company's slug (default: every active one).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would be sent; send and write nothing."
        )

    def handle(self, *args, tenant=None, dry_run=False, **options):
        tenants = Tenant.objects.filter(is_active=True).order_by("slug")
        if tenant:
            tenants = Tenant.objects.filter(slug=tenant)
            if not tenants:
                raise CommandError(f"No company with slug {tenant!r}.")
        for company in tenants:
            with activate(company):
                result = send_reminders(tenant=company, dry_run=dry_run)
            verb = "would remind" if dry_run else "reminded"
            self.stdout.write(
                f"{company.slug}: {verb} {result.reminders} invoice"
                f"{'s' if result.reminders != 1 else ''} of {len(result.sent)} account"
                f"{'s' if len(result.sent) != 1 else ''}."
            )
            for item in result.sent:
                numbers = ", ".join(
                    f"{invoice.number} (level {invoice.due_level.level})"
                    for invoice in item.reminded
                )
                self.stdout.write(f"  {item.account.name} <{item.recipient}>: {numbers}")
            for line in result.skipped + result.failed:
                self.stdout.write(f"  {line}")
