"""Issued invoices and credit notes sent by e-mail, with the delivery log (`InvoiceDelivery`).

Nothing is sent twice by a double click, a replayed form or a retried task:

1. **Claim.** A delivery row is created first for (invoice, recipient, round); the database's
   unique constraint lets one caller create it, and any other call with the same round finds
   it and sends nothing. Sending the same document again on purpose is the next round.
2. **Take.** Whoever sends it first moves its `attempts` on by one with a conditional update
   (compare and set): two workers that both find it queued cannot both win, and a delivery
   that has been taken is never picked up as new again.
3. **Send, then record** the outcome (sent with its time, or failed with a short sentence for
   the user; the server's details go to the log under a reference), audited on the invoice's
   history. The e-mail goes out between two short transactions, so no lock is held while a
   mail server answers.

A failed delivery is retried on purpose (`delivery_retry`): the same row, the same Message-ID
(so a mail server that did receive the first attempt can recognise the copy).
"""

from __future__ import annotations

import smtplib

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from accounts.platform.audit import audit
from accounts.platform.errors import log_unexpected
from accounts.platform.guards import check_tenant, require_active
from accounts.platform.tasks import enqueue_on_commit
from invoicing import mail
from invoicing.mail_tasks import send_run_invoices
from invoicing.models import DeliveryStatus, Invoice, InvoiceDelivery, InvoiceRun
from invoicing.selectors import issued_documents, latest_round
from invoicing.tasks import render_invoice_pdf

DRAFT_REFUSED = "A draft cannot be e-mailed: issue it first, then send it."


def _sendable(invoice: Invoice) -> Invoice:
    """The document with what its e-mail reads, refused with a reason when it cannot be sent."""
    invoice = Invoice.objects.select_related(
        "tenant", "billing_account", "project__main_contact"
    ).get(pk=invoice.pk)
    if invoice.is_draft:
        raise ValidationError(DRAFT_REFUSED)
    return invoice


def invoice_send(
    *, tenant, by, invoice: Invoice, round: int | None = None
) -> tuple[InvoiceDelivery, bool]:
    """E-mail an issued invoice or credit note to its billing account, copying the project's
    contact, as delivery `round` (1 when not given). Returns the delivery and whether this call
    sent it: with a round that was claimed already it sends nothing and returns that delivery."""
    require_active(tenant)
    check_tenant(tenant, invoice)
    invoice = _sendable(invoice)
    to, cc = mail.recipients(invoice)
    if not to:
        raise ValidationError(mail.no_address_message(invoice))
    round = 1 if round is None else round
    if round < 1 or round > latest_round(invoice, to) + 1:
        raise ValidationError(
            gettext(
                "This invoice was sent meanwhile (or the page is out of date): reload the page, "
                "check its delivery log, and send again if it is still needed."
            )
        )
    try:
        with transaction.atomic():
            delivery = InvoiceDelivery.objects.create(
                tenant=tenant,
                invoice=invoice,
                recipient=to,
                cc=", ".join(cc),
                round=round,
                message_id=mail.new_message_id(),
                attachments=", ".join(mail.attachment_names(invoice)),
                created_by=by if getattr(by, "is_authenticated", False) else None,
            )
    except IntegrityError:  # the same round was claimed by an earlier call: send nothing
        return InvoiceDelivery.objects.get(invoice=invoice, recipient=to, round=round), False
    return delivery_deliver(tenant=tenant, by=by, delivery=delivery), True


def delivery_retry(*, tenant, by, delivery: InvoiceDelivery) -> InvoiceDelivery:
    """Send a failed delivery again (same recipients, same Message-ID)."""
    require_active(tenant)
    check_tenant(tenant, delivery)
    delivery = InvoiceDelivery.objects.get(pk=delivery.pk)
    if delivery.status == DeliveryStatus.SENT:
        raise ValidationError(
            gettext(
                "This e-mail to %(recipient)s was sent already; use “Send again” to send the "
                "document once more."
            )
            % {"recipient": delivery.recipient}
        )
    if not delivery.can_retry:
        raise ValidationError(
            gettext(
                "The e-mail to %(recipient)s is still being sent: reload the page in a moment to "
                "see how it went."
            )
            % {"recipient": delivery.recipient}
        )
    return delivery_deliver(tenant=tenant, by=by, delivery=delivery, retry=True)


def delivery_deliver(
    *, tenant, by, delivery: InvoiceDelivery, retry: bool = False
) -> InvoiceDelivery:
    """Send a claimed delivery, unless another call has taken it (then it is returned as it
    stands). Used by `invoice_send`, `delivery_retry` and the background tasks."""
    require_active(tenant)
    check_tenant(tenant, delivery)
    # A retry takes a failed delivery, or a stalled one (queued, taken long ago: the caller
    # checked `can_retry`); the compare and set on `attempts` lets one caller win either way.
    statuses = [DeliveryStatus.FAILED, DeliveryStatus.QUEUED] if retry else [DeliveryStatus.QUEUED]
    taken = InvoiceDelivery.objects.filter(
        pk=delivery.pk, status__in=statuses, attempts=delivery.attempts
    ).update(
        status=DeliveryStatus.QUEUED,
        attempts=F("attempts") + 1,
        error="",
        taken_at=timezone.now(),
    )
    delivery = InvoiceDelivery.objects.select_related("invoice").get(pk=delivery.pk)
    if not taken:
        return delivery
    try:
        invoice = _sendable(delivery.invoice)
        built = mail.build(
            invoice,
            to=delivery.recipient,
            cc=[address for address in delivery.cc.split(", ") if address],
            message_id=delivery.message_id,
            pdf=_stored_pdf(invoice),
        )
        delivery.subject = built.subject[:300]
        delivery.attachments = ", ".join(built.attachments)[:200]
        built.message.send()
    except Exception as error:  # whatever failed, the user gets a sentence, the log the details
        reference = log_unexpected(
            "E-mail of invoice %s (delivery %s) failed", delivery.invoice_id, delivery.pk
        )
        _record(tenant, by, delivery, DeliveryStatus.FAILED, error=explain(error, reference))
    else:
        _record(tenant, by, delivery, DeliveryStatus.SENT)
    return delivery


def _stored_pdf(invoice: Invoice) -> bytes:
    """The issued PDF as stored (rendered now if its background task has not run yet)."""
    if not invoice.pdf:
        render_invoice_pdf.func(tenant_id=invoice.tenant_id, invoice_id=invoice.pk)
        invoice.refresh_from_db(fields=["pdf"])
    with invoice.pdf.open("rb") as handle:
        return handle.read()


def _record(tenant, by, delivery: InvoiceDelivery, status: str, error: str = "") -> None:
    delivery.status, delivery.error = status, error[:300]
    delivery.sent_at = timezone.now() if status == DeliveryStatus.SENT else None
    with transaction.atomic():
        InvoiceDelivery.objects.filter(pk=delivery.pk).update(
            status=delivery.status,
            error=delivery.error,
            sent_at=delivery.sent_at,
            subject=delivery.subject,
            attachments=delivery.attachments,
        )
        after = {"to": delivery.recipient}
        if delivery.cc:
            after["cc"] = delivery.cc
        after["message id"] = delivery.message_id
        if delivery.round > 1:
            after["round"] = delivery.round
        if error:
            after["error"] = delivery.error
        audit(
            tenant=tenant,
            actor=by,
            action="sent" if status == DeliveryStatus.SENT else "e-mail failed",
            obj=delivery.invoice,
            after=after,
        )


def explain(error: BaseException, reference: str) -> str:
    """What the user is told about a failed e-mail: what to do, never the exception's text."""
    later = (
        "Retry in a few minutes; if it fails again, give your administrator the reference "
        f"{reference}."
    )
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return (
            "The mail server refused the recipient's address: correct it (the billing "
            "account's “Send invoices to”, or the project's invoice e-mail), then send again."
        )
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return (
            "The mail server refused this application's login: ask your administrator to check "
            f"the e-mail settings (reference {reference}), then retry."
        )
    if isinstance(error, smtplib.SMTPSenderRefused):
        return (
            "The mail server refused the sender address: ask your administrator to check "
            f"DEFAULT_FROM_EMAIL (reference {reference}), then retry."
        )
    if isinstance(error, smtplib.SMTPResponseException):
        return f"The mail server did not accept the e-mail. {later}"
    if isinstance(error, OSError):  # connection refused, timeouts, disconnections, TLS
        return f"The mail server could not be reached. {later}"
    return f"The e-mail could not be prepared or sent. {later}"


@transaction.atomic
def run_send_start(*, tenant, by, run: InvoiceRun) -> dict:
    """*Send all* after a bulk run: a delivery (round 1) for each issued document of the run
    that has none yet, sent by a background task once this transaction commits. Documents
    whose billing account has no address are counted and left out. Pressing it again queues
    only what is new (or what a stopped task left queued): nothing is sent twice."""
    require_active(tenant)
    check_tenant(tenant, run)
    run = InvoiceRun.objects.select_for_update().get(pk=run.pk)
    if run.is_working:
        raise ValidationError(
            gettext("This run is still working: send its invoices once it has issued them.")
        )
    unsent = (
        issued_documents()
        .filter(run=run, deliveries__isnull=True)
        .select_related("tenant", "billing_account", "project__main_contact")
        .order_by("pk")
    )
    user = by if getattr(by, "is_authenticated", False) else None
    new, without_address = [], []
    for invoice in unsent:
        to, cc = mail.recipients(invoice)
        if not to:
            without_address.append(invoice.number)
            continue
        new.append(
            InvoiceDelivery(
                tenant=tenant,
                invoice=invoice,
                run=run,
                recipient=to,
                cc=", ".join(cc),
                round=1,
                message_id=mail.new_message_id(),
                attachments=", ".join(mail.attachment_names(invoice)),
                created_by=user,
            )
        )
    InvoiceDelivery.objects.bulk_create(new, ignore_conflicts=True)
    waiting = InvoiceDelivery.objects.filter(
        run=run, status=DeliveryStatus.QUEUED, attempts=0
    ).count()
    if not waiting:
        if without_address:
            raise ValidationError(
                gettext(
                    "Nothing to send: %(without_address)s %(have)s no e-mail address. Enter one in "
                    "each billing account's “Send invoices to” field, then send again."
                )
                % {
                    "without_address": _listed(without_address),
                    "have": "has" if len(without_address) == 1 else "have",
                }
            )
        raise ValidationError(
            gettext(
                "Every issued document of this run has been e-mailed (or is being e-mailed) "
                "already: see each invoice's delivery log to send one again."
            )
        )
    enqueue_on_commit(send_run_invoices, tenant=tenant, run_id=run.pk)
    return {"queued": waiting, "without_address": without_address}


def _listed(numbers: list[str], most: int = 5) -> str:
    shown = ", ".join(numbers[:most])
    return shown + (f" and {len(numbers) - most} more" if len(numbers) > most else "")


def run_send(*, tenant, run: InvoiceRun) -> int:
    """Send the run's deliveries that nobody has taken yet, one by one (called by the task);
    a delivery taken or sent already is never sent again. Returns how many went out."""
    require_active(tenant)
    sent = 0
    pending = InvoiceDelivery.objects.filter(
        run=run, status=DeliveryStatus.QUEUED, attempts=0
    ).select_related("created_by")
    for delivery in pending.order_by("pk"):
        delivery = delivery_deliver(tenant=tenant, by=delivery.created_by, delivery=delivery)
        sent += delivery.status == DeliveryStatus.SENT
    return sent


__all__ = [
    "DRAFT_REFUSED",
    "delivery_deliver",
    "delivery_retry",
    "explain",
    "invoice_send",
    "run_send",
    "run_send_start",
]
