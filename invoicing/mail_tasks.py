"""Invoice e-mails in the background (`invoicing.services.delivery` does the work).

A task takes ids and enters the tenant's scope itself (`tenant_task`). Running one twice, or
retrying it after a crash, sends nothing twice: each delivery is taken once (see the service).
"""

from accounts.platform.models import Tenant
from accounts.platform.tasks import tenant_task


@tenant_task()
def send_invoice(
    *, tenant_id: int, invoice_id: int, user_id: int | None = None, round: int | None = None
) -> str:
    """E-mail one issued document as delivery `round` (see `invoice_send`); its status."""
    # The services queue these tasks (they import this module): importing them at the top
    # here would be an import cycle.
    from django.contrib.auth import get_user_model

    from invoicing import services
    from invoicing.models import Invoice

    tenant = Tenant.objects.get(pk=tenant_id)
    by = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    delivery, _sent_now = services.invoice_send(
        tenant=tenant, by=by, invoice=Invoice.objects.get(pk=invoice_id), round=round
    )
    return delivery.status


@tenant_task()
def send_run_invoices(*, tenant_id: int, run_id: int) -> int:
    """Send the deliveries *Send all* queued for a bulk run; how many went out."""
    from invoicing import services
    from invoicing.models import InvoiceRun

    return services.run_send(
        tenant=Tenant.objects.get(pk=tenant_id), run=InvoiceRun.objects.get(pk=run_id)
    )


@tenant_task()
def send_reminders(*, tenant_id: int, dry_run: bool = False) -> int:
    """The daily payment reminders of one company (`services.reminders.send_reminders`); how
    many invoices were reminded."""
    from invoicing.services.reminders import send_reminders as run

    return run(tenant=Tenant.objects.get(pk=tenant_id), dry_run=dry_run).reminders
