"""The e-mail of a payment reminder: one per billing account, listing its open overdue invoices,
with the subject and text of the highest level it reminds at. Placeholders are filled as the
invoice e-mail's are (`invoicing.mail.fill`, checked by `mail.template_problems`); From,
Reply-To and the recipient (the account's invoice address, else its e-mail) are the invoice
e-mail's too."""

from __future__ import annotations

from collections import defaultdict

from django.core.mail import EmailMessage
from django.utils.formats import date_format
from django.utils.translation import gettext

from accounts.templatetags.money import money
from invoicing import mail
from invoicing.reminder_models import DEFAULT_REMINDER_BODY, DEFAULT_REMINDER_SUBJECT

PLACEHOLDERS: dict[str, str] = {
    "account": "the billing account's name",
    "company": "your company's name",
    "level": "the reminder's level (1, 2, …)",
    "invoice_numbers": "the overdue invoices' numbers",
    "due_dates": "their due dates",
    "amount": "the total overdue, per currency",
    "items": "one line per overdue invoice: number, due date, amount outstanding",
    "fee": "a sentence about the reminder fee (empty without one)",
}


def _day(value) -> str:
    """A date as the active language writes it (1 Dec 2026, 1. Dez. 2026)."""
    return date_format(value, "j M Y") if value else ""


def recipient(account) -> str:
    return (account.invoice_email or account.email or "").strip()


def values(*, tenant, account, level, invoices, fee_text: str = "") -> dict[str, str]:
    """The placeholders' values; `invoices` carry `outstanding` (open_invoices) and `days`."""
    totals = defaultdict(lambda: 0)
    for invoice in invoices:
        totals[invoice.currency] += invoice.outstanding
    return {
        "account": account.name,
        "company": tenant.name,
        "level": str(level.level),
        "invoice_numbers": ", ".join(invoice.number for invoice in invoices),
        "due_dates": ", ".join(_day(invoice.due_date) for invoice in invoices),
        "amount": ", ".join(money(total, currency) for currency, total in sorted(totals.items())),
        "items": "\n".join(
            "- "
            + gettext(
                "%(number)s, due %(due)s: %(outstanding)s outstanding (%(days)s days overdue)"
            )
            % {
                "number": invoice.number,
                "due": _day(invoice.due_date),
                "outstanding": money(invoice.outstanding, invoice.currency),
                "days": invoice.days,
            }
            for invoice in invoices
        ),
        "fee": fee_text,
    }


def build(*, tenant, account, level, invoices, fee_text: str = "") -> EmailMessage:
    filled = values(
        tenant=tenant, account=account, level=level, invoices=invoices, fee_text=fee_text
    )
    subject_text = mail.company_text(level.subject, DEFAULT_REMINDER_SUBJECT)
    subject = " ".join(mail.fill(subject_text, filled).split())
    return EmailMessage(
        subject=subject,
        body=mail.fill(mail.company_text(level.body, DEFAULT_REMINDER_BODY), filled),
        from_email=mail.from_address(tenant.name),
        to=[recipient(account)],
        reply_to=[tenant.invoice_email] if tenant.invoice_email else None,
        headers={"Message-ID": mail.new_message_id()},
    )
