"""The demo shows statements and reminders (issue 16, parts 2 and 3): dunning levels, an account
on hold, reminders sent at levels 1 and 2 for overdue invoices (each level once), a reminder
fee as an item, and an aged receivables report with something in every bucket."""

from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from accounts.platform.models import Tenant
from accounts.platform.tenancy import activate


def test_the_demo_shows_reminders_holds_and_every_aged_bucket(db):
    from invoicing.models import DunningLevel, Reminder, ReminderHold
    from invoicing.statements import account_statements
    from projects.models import Item
    from reporting.aged import BUCKETS, aged_receivables

    call_command("seed_demo", stdout=StringIO())
    tenant = Tenant.objects.get(slug="northwind")
    with activate(tenant):
        assert list(DunningLevel.objects.values_list("level", "days_after_due")) == [
            (1, 7),
            (2, 30),
            (3, 60),
        ]
        hold = ReminderHold.objects.get()
        assert "attendance sheets" in hold.reason
        assert not Reminder.objects.filter(invoice__billing_account=hold.account).exists()
        levels = set(Reminder.objects.values_list("level", flat=True))
        assert {1, 2} <= levels
        # Each level once per invoice, and some invoices went from one level to the next.
        pairs = list(Reminder.objects.values_list("invoice", "level"))
        assert len(pairs) == len(set(pairs))
        per_invoice = {}
        for invoice, level in pairs:
            per_invoice.setdefault(invoice, []).append(level)
        assert any(len(found) > 1 for found in per_invoice.values())
        assert Item.objects.filter(price_source="dunning").exists()  # the level-2 fee
        report = aged_receivables(as_of=timezone.localdate(), base_currency="GBP")
        assert all(report.base.buckets[key] > 0 for key, _label, _days in BUCKETS), (
            report.base.buckets
        )
        # A statement of the account on hold: its closing balance is what it owes.
        statements = account_statements(
            hold.account,
            date_from=timezone.localdate().replace(month=1, day=1),
            date_to=timezone.localdate(),
        )
        assert statements and statements[0].overdue > 0
