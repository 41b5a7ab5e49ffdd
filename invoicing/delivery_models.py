"""How an issued invoice was sent to its customer (e-mail deliveries and their status)."""

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.platform.tenancy import TenantOwned


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class InvoiceDelivery(TenantOwned):
    """One e-mail of an issued invoice or credit note to one recipient: the delivery log.

    (invoice, recipient, round) is unique, so a double click or a retried task sends nothing
    twice; sending the same document again on purpose is a new round."""

    invoice = models.ForeignKey(
        "invoicing.Invoice", on_delete=models.PROTECT, related_name="deliveries"
    )
    run = models.ForeignKey(
        "invoicing.InvoiceRun",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
    )
    recipient = models.EmailField()
    cc = models.CharField(max_length=500, blank=True)
    round = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    subject = models.CharField(max_length=300, blank=True)
    attachments = models.CharField(max_length=200, blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(
        max_length=300, blank=True, help_text=_("What went wrong, in words for the user.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # When a sender last took it (compare and set on `attempts`): a delivery still queued long
    # after that lost its worker between the mail server and the log, and may be retried.
    taken_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    STALL_AFTER = datetime.timedelta(minutes=10)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = _("invoice deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "recipient", "round"], name="delivery_unique_round"
            )
        ]
        indexes = [models.Index(fields=["tenant", "run", "status"], name="delivery_run_status")]

    def __str__(self):
        return f"{self.invoice} to {self.recipient} ({self.get_status_display().lower()})"

    @property
    def is_stalled(self) -> bool:
        """Taken by a sender that never recorded the outcome (killed, restarted): whether the
        mail went out is unknown, so it is offered for a retry, never re-sent by itself."""
        return (
            self.status == DeliveryStatus.QUEUED
            and self.taken_at is not None
            and timezone.now() - self.taken_at > self.STALL_AFTER
        )

    @property
    def can_retry(self) -> bool:
        return self.status == DeliveryStatus.FAILED or self.is_stalled
