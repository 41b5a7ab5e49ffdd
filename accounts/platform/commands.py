"""Base class of management commands that work on one company (`--tenant <slug>`), inside its
scope."""

from django.core.management.base import BaseCommand, CommandError

from accounts.platform.models import Tenant
from accounts.platform.tenancy import activate


class TenantCommand(BaseCommand):
    """A management command that works on one company: `--tenant <slug>` runs it in that scope."""

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="The company's slug, e.g. northwind.")

    def execute(self, *args, **options):
        slug = options.get("tenant")
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            known = ", ".join(Tenant.objects.values_list("slug", flat=True)) or "none yet"
            raise CommandError(f"No company with slug {slug!r}. Known: {known}.")
        options["tenant"] = tenant
        with activate(tenant):
            return super().execute(*args, **options)
