"""Payment reminders (issue 16, part 3): dunning levels (admins), accounts on hold (finance),
and the daily run that e-mails what is due (`manage.py send_reminders`, or the task
`invoicing.mail_tasks.send_reminders`).

Rules:
- an invoice is due a reminder when it is overdue (`payment_selectors.overdue`: issued, something
  outstanding, past its due date; a paid or fully credited invoice never is) and the highest
  level whose days after the due date have passed is above the highest level it was reminded
  at: it is reminded at that level (an invoice found 95 days late gets the level of 90 days,
  not three e-mails on three days);
- a billing account on hold gets none;
- each billing account gets ONE e-mail per run, listing all its overdue invoices, with the text
  of the highest level due among them;
- (invoice, level) is unique in the database: the run claims its reminders first, in one
  transaction per account, and a second run at the same time fails to claim them and sends
  nothing; a failed e-mail removes its claims, so the next run tries again;
- a level's fee is charged once per e-mail (the fee of the highest level reminded at in it that
  has one), as a billable item of the project of the invoice reminded at that level, dated the
  run's day: it is billed on the project's next invoice like
  every item (its product's code and tax rate, the item's page to waive it before then). A
  separate small invoice was not chosen: the nightly job would issue numbered, immutable
  documents (and e-mail them) without anyone looking, and the customer would get one more
  invoice to pay for being late.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.platform.audit import audit
from accounts.platform.errors import log_unexpected
from accounts.platform.guards import check_tenant, require_active
from accounts.platform.languages import account_language
from accounts.platform.money import round_money
from accounts.templatetags.money import money
from agreements.pricing import PriceSource
from invoicing import reminder_mail
from invoicing.models import DunningLevel, Invoice, Reminder, ReminderHold, ReminderStatus
from invoicing.payment_selectors import overdue
from projects.models import Item


@dataclass
class AccountReminder:
    """What one billing account is sent: its overdue invoices, those reminded now (at which
    level), and the e-mail's level."""

    account: object
    invoices: list  # every overdue invoice, oldest due first (`days` overdue, `due_level`)
    level: DunningLevel
    recipient: str

    @property
    def reminded(self) -> list:
        return [invoice for invoice in self.invoices if invoice.due_level is not None]


@dataclass
class RunResult:
    day: datetime.date
    dry_run: bool
    sent: list[AccountReminder] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # sentences: why an account got nothing
    failed: list[str] = field(default_factory=list)

    @property
    def reminders(self) -> int:
        return sum(len(item.reminded) for item in self.sent)


def due_reminders(*, tenant, today: datetime.date | None = None) -> tuple[list, list[str]]:
    """(AccountReminder per billing account with something due, sentences about accounts left
    out): three queries whatever the number of invoices."""
    today = today or timezone.localdate()
    levels = list(DunningLevel.objects.select_related("fee_product").order_by("level"))
    if not levels:
        return [], []
    held = set(ReminderHold.objects.values_list("account_id", flat=True))
    invoices = (
        overdue(Invoice.objects.all(), today=today)
        .select_related("billing_account", "project")
        .annotate(last_level=Max("reminders__level"))
        .order_by("billing_account_id", "due_date", "sequence_number")
    )
    by_account: dict[int, list] = {}
    for invoice in invoices:
        invoice.days = (today - invoice.due_date).days
        reached = [level for level in levels if level.days_after_due <= invoice.days]
        top = reached[-1] if reached else None
        invoice.due_level = top if top and top.level > (invoice.last_level or 0) else None
        invoice.outstanding = round_money(invoice.outstanding, invoice.currency)
        by_account.setdefault(invoice.billing_account_id, []).append(invoice)
    due, skipped = [], []
    for account_invoices in by_account.values():
        account = account_invoices[0].billing_account
        levels_due = [i.due_level for i in account_invoices if i.due_level is not None]
        if not levels_due:
            continue
        if account.pk in held:
            skipped.append(f"{account.name}: on hold.")
            continue
        to = reminder_mail.recipient(account)
        if not to:
            skipped.append(
                f"{account.name}: no e-mail address (enter its “Send invoices to” or e-mail)."
            )
            continue
        level = max(levels_due, key=lambda level: level.level)
        due.append(AccountReminder(account, account_invoices, level, to))
    return due, skipped


def _fee_text(level: DunningLevel, currency: str) -> str:
    if level.fee_amount is None:
        return ""
    return gettext("A reminder fee of %(fee)s is charged on your next invoice.") % {
        "fee": money(level.fee_amount, currency)
    }


def send_reminders(
    *,
    tenant,
    by=None,
    today: datetime.date | None = None,
    dry_run: bool = False,
    connection=None,
) -> RunResult:
    """E-mail every billing account its due reminders (see the module docstring); with
    `dry_run`, say what would be sent and write nothing. `connection`: an e-mail backend
    connection (the default one when not given; the demo sends through a dummy one)."""
    require_active(tenant)
    today = today or timezone.localdate()
    due, skipped = due_reminders(tenant=tenant, today=today)
    result = RunResult(day=today, dry_run=dry_run, skipped=skipped)
    for item in due:
        if dry_run:
            result.sent.append(item)
            continue
        outcome = _send_one(tenant, by, item, today, connection)
        if outcome == "sent":
            result.sent.append(item)
        elif outcome:
            result.failed.append(outcome)
    return result


def _send_one(tenant, by, item: AccountReminder, today, connection=None) -> str:
    """Claim, send, record: "sent", "" (another run claimed it) or a sentence on failure."""
    # The fee: that of the highest level reminded at in this e-mail that has one, charged on
    # the first invoice reminded at that level.
    charged = [i for i in item.reminded if i.due_level.fee_amount and i.due_level.fee_product_id]
    first = max(charged, key=lambda i: i.due_level.level, default=None)
    fee_level = first.due_level if first else None
    # The e-mail is written in the billing account's language (issue 17).
    with translation.override(account_language(item.account, tenant)):
        fee_text = _fee_text(fee_level, first.currency) if first else ""
        message = reminder_mail.build(
            tenant=tenant,
            account=item.account,
            level=item.level,
            invoices=item.invoices,
            fee_text=fee_text,
        )
    message.connection = connection
    try:
        with transaction.atomic():
            claimed = [
                Reminder.objects.create(
                    tenant=tenant,
                    invoice=invoice,
                    level=invoice.due_level.level,
                    days_overdue=min(invoice.days, 32767),
                    outstanding=invoice.outstanding,
                    recipient=item.recipient,
                    subject=message.subject[:300],
                )
                for invoice in item.reminded
            ]
    except IntegrityError:  # another run claimed them first: it sends the e-mail
        return ""
    try:
        message.send()
    except Exception:  # the user reads a sentence; the log has the details
        reference = log_unexpected("Reminder to account %s failed", item.account.pk)
        with transaction.atomic():
            for reminder in claimed:
                Reminder.objects.filter(pk=reminder.pk).delete()
        return (
            f"{item.account.name}: the e-mail could not be sent (reference {reference}); "
            "the next run tries again."
        )
    with transaction.atomic():
        fee_item = _charge_fee(tenant, fee_level, first, today) if first else None
        Reminder.objects.filter(pk__in=[r.pk for r in claimed]).update(
            status=ReminderStatus.SENT, sent_at=timezone.now(), fee_item=fee_item
        )
        for invoice in item.reminded:
            audit(
                tenant=tenant,
                actor=by,
                action="reminder sent",
                obj=invoice,
                after={
                    "level": invoice.due_level.level,
                    "to": item.recipient,
                    "outstanding": invoice.outstanding,
                    "days overdue": invoice.days,
                    **({"fee": fee_text} if fee_item and invoice is first else {}),
                },
            )
    return "sent"


def _charge_fee(tenant, level: DunningLevel, invoice: Invoice, today) -> Item:
    """The level's fee as a billable item of the reminded invoice's project."""
    amount = round_money(level.fee_amount, invoice.currency)
    item = Item(
        tenant=tenant,
        project=invoice.project,
        product=level.fee_product,
        date=today,
        quantity=Decimal(1),
        description=f"Reminder fee (level {level.level}) for invoice {invoice.number}"[:255],
        billable=True,
        unit_price=amount,
        price_source=PriceSource.DUNNING,
        unit_cost=Decimal(0),
        net_amount=amount,
    )
    item.full_clean()
    item.save()
    return item


# --- Settings and holds ---------------------------------------------------------------------


@transaction.atomic
def dunning_level_save(*, tenant, by, level: DunningLevel) -> DunningLevel:
    """Create or change a dunning level (an unsaved or changed row); audited."""
    require_active(tenant)
    level.tenant = tenant
    if level.fee_product_id:
        check_tenant(tenant, level.fee_product)
    if level.fee_amount is None:
        level.fee_product = None
    level.full_clean()
    others = DunningLevel.objects.exclude(pk=level.pk)
    if others.filter(level__lt=level.level, days_after_due__gte=level.days_after_due).exists():
        raise ValidationError(
            {
                "days_after_due": gettext(
                    "A lower level comes as late or later: give this level more days."
                )
            }
        )
    if others.filter(level__gt=level.level, days_after_due__lte=level.days_after_due).exists():
        raise ValidationError(
            {
                "days_after_due": gettext(
                    "A higher level comes as early or earlier: give this fewer days."
                )
            }
        )
    created = level.pk is None
    level.save()
    audit(
        tenant=tenant,
        actor=by,
        action="dunning level created" if created else "dunning level changed",
        obj=level,
        after={
            "level": level.level,
            "days after due": level.days_after_due,
            "fee": level.fee_amount or "",
            "subject": level.subject,
        },
    )
    return level


@transaction.atomic
def dunning_level_delete(*, tenant, by, level: DunningLevel) -> None:
    require_active(tenant)
    check_tenant(tenant, level)
    audit(
        tenant=tenant,
        actor=by,
        action="dunning level deleted",
        obj=level,
        before={"level": level.level, "days after due": level.days_after_due},
    )
    level.delete()


@transaction.atomic
def reminder_hold(*, tenant, by, account, reason: str) -> ReminderHold:
    """Put a billing account on hold: no reminders until the hold is lifted."""
    require_active(tenant)
    check_tenant(tenant, account)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": gettext("Say why the account gets no reminders.")})
    if ReminderHold.objects.filter(account=account).exists():
        raise ValidationError(
            gettext("%(account_name)s is on hold already.") % {"account_name": account.name}
        )
    hold = ReminderHold.objects.create(
        tenant=tenant,
        account=account,
        reason=reason[:255],
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    audit(
        tenant=tenant, actor=by, action="reminders on hold", obj=account, after={"reason": reason}
    )
    return hold


@transaction.atomic
def reminder_hold_lift(*, tenant, by, account, reason: str = "") -> None:
    require_active(tenant)
    check_tenant(tenant, account)
    hold = ReminderHold.objects.filter(account=account).first()
    if hold is None:
        raise ValidationError(
            gettext("%(account_name)s is not on hold.") % {"account_name": account.name}
        )
    audit(
        tenant=tenant,
        actor=by,
        action="reminders resumed",
        obj=account,
        before={"reason": hold.reason},
        after={"reason": reason} if reason else None,
    )
    hold.delete()
