"""Payment reminders (issue 16, part 3): dunning levels by days after the due date, one e-mail
per billing account listing its overdue invoices, never the same level twice for an invoice
(a unique constraint, and two runs at once on PostgreSQL), accounts on hold, invoices paid or
credited meanwhile, the fee billed as an item of the project, the command's dry run, and the
pages (settings, hold, the invoice's panel)."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from accounts.platform.models import AuditEntry
from accounts.platform.tenancy import activate
from invoicing.models import DunningLevel, Invoice, Reminder, ReminderHold
from invoicing.services import payment_record
from invoicing.services.reminders import (
    dunning_level_save,
    reminder_hold,
    reminder_hold_lift,
    send_reminders,
)
from projects.models import Item
from tests.factories import AccountFactory, ProductFactory, ProjectFactory, TaxRateFactory

D = Decimal
TODAY = datetime.date(2026, 6, 30)


def days_ago(days):
    return TODAY - datetime.timedelta(days=days)


@pytest.fixture
def dunning(world_a):
    tenant = world_a.tenant
    fee = ProductFactory(
        tenant=tenant, code="REMINDER", kind="fee", tax_rate=TaxRateFactory(tenant=tenant)
    )
    meridian = AccountFactory(
        tenant=tenant, name="Meridian Health", invoice_email="ap@meridian.example"
    )
    project = ProjectFactory(account=meridian, currency="EUR")
    numbers = iter(range(1, 100))

    def invoice(account=meridian, *, overdue_days, gross="1080", project=project):
        number = next(numbers)
        return Invoice.objects.create(
            tenant=tenant,
            project=project,
            billing_account=account,
            currency="EUR",
            status="issued",
            number=f"INV-{number:05d}",
            sequence_number=number,
            issue_date=days_ago(overdue_days + 30),
            due_date=days_ago(overdue_days),
            gross_total=D(gross),
        )

    with activate(tenant):
        first = dunning_level_save(
            tenant=tenant,
            by=world_a.admin,
            level=DunningLevel(level=1, days_after_due=7),
        )
        second = dunning_level_save(
            tenant=tenant,
            by=world_a.admin,
            level=DunningLevel(
                level=2,
                days_after_due=30,
                subject="Second reminder {invoice_numbers}",
                body="Dear {account}, {amount} is overdue:\n{items}\n{fee}\n{company}",
                fee_amount=D("15"),
                fee_product=fee,
            ),
        )
    return {
        "tenant": tenant,
        "world": world_a,
        "meridian": meridian,
        "project": project,
        "invoice": invoice,
        "levels": (first, second),
        "fee": fee,
    }


def run(dunning, today=TODAY, **options):
    with activate(dunning["tenant"]):
        return send_reminders(tenant=dunning["tenant"], today=today, **options)


def sent_levels(invoice):
    with activate(invoice.tenant):
        return sorted(Reminder.objects.filter(invoice=invoice).values_list("level", flat=True))


def test_levels_follow_the_days_after_the_due_date(dunning):
    early = dunning["invoice"](overdue_days=6)
    first = dunning["invoice"](overdue_days=7)
    second = dunning["invoice"](overdue_days=30)
    result = run(dunning)
    assert result.reminders == 2 and len(mail.outbox) == 1  # one e-mail for the account
    assert (sent_levels(early), sent_levels(first), sent_levels(second)) == ([], [1], [2])
    # The e-mail has the text of the highest level due, and lists every overdue invoice, the
    # oldest due first (the one 6 days overdue too, though it is reminded at no level yet).
    (message,) = mail.outbox
    assert message.subject == f"Second reminder {second.number}, {first.number}, {early.number}"
    assert message.to == ["ap@meridian.example"]
    assert "Alpha Training" in message.from_email
    assert "Dear Meridian Health, €3,240.00 is overdue:" in message.body
    assert f"- {first.number}, due 23 Jun 2026: €1,080.00 outstanding (7 days overdue)" in (
        message.body
    )
    assert "A reminder fee of €15.00 is charged on your next invoice." in message.body
    assert f"- {early.number}, due 24 Jun 2026: €1,080.00 outstanding (6 days overdue)" in (
        message.body
    )


def test_no_level_is_sent_twice_and_the_next_one_follows(dunning):
    invoice = dunning["invoice"](overdue_days=10)
    run(dunning)
    assert run(dunning).reminders == 0  # the same day again: nothing
    assert run(dunning, today=TODAY + datetime.timedelta(days=5)).reminders == 0
    assert sent_levels(invoice) == [1] and len(mail.outbox) == 1
    later = run(dunning, today=TODAY + datetime.timedelta(days=20))  # 30 days overdue
    assert later.reminders == 1 and sent_levels(invoice) == [1, 2]
    assert run(dunning, today=TODAY + datetime.timedelta(days=90)).reminders == 0
    assert len(mail.outbox) == 2
    # The database refuses a second reminder of a level whatever the code does.
    with activate(dunning["tenant"]), pytest.raises(IntegrityError), transaction.atomic():
        Reminder.objects.create(
            tenant=dunning["tenant"],
            invoice=invoice,
            level=1,
            days_overdue=10,
            outstanding=D(1),
            recipient="x@example.com",
            subject="Again",
        )


def test_an_invoice_found_late_gets_the_level_it_has_reached_once(dunning):
    invoice = dunning["invoice"](overdue_days=95)
    run(dunning)
    assert sent_levels(invoice) == [2]  # not levels 1 and 2 on two days
    assert run(dunning, today=TODAY + datetime.timedelta(days=1)).reminders == 0


def test_an_account_on_hold_gets_none_until_the_hold_is_lifted(dunning):
    tenant, finance, meridian = dunning["tenant"], dunning["world"].finance, dunning["meridian"]
    invoice = dunning["invoice"](overdue_days=10)
    with activate(tenant):
        with pytest.raises(ValidationError, match="Say why"):
            reminder_hold(tenant=tenant, by=finance, account=meridian, reason=" ")
        reminder_hold(tenant=tenant, by=finance, account=meridian, reason="Disputed invoice")
    result = run(dunning)
    assert result.reminders == 0 and mail.outbox == []
    assert result.skipped == ["Meridian Health: on hold."]
    with activate(tenant):
        reminder_hold_lift(tenant=tenant, by=finance, account=meridian)
        actions = list(
            AuditEntry.objects.filter(object_id=meridian.pk, object_type="accounts.account")
            .order_by("pk")
            .values_list("action", flat=True)
        )
    assert actions == ["reminders on hold", "reminders resumed"]
    assert run(dunning).reminders == 1 and sent_levels(invoice) == [1]


def test_an_invoice_paid_or_credited_meanwhile_gets_none(dunning):
    tenant = dunning["tenant"]
    paid = dunning["invoice"](overdue_days=10)
    part_paid = dunning["invoice"](overdue_days=10)
    with activate(tenant):
        for invoice, amount in ((paid, "1080"), (part_paid, "1000")):
            payment_record(
                tenant=tenant,
                by=dunning["world"].finance,
                billing_account=dunning["meridian"],
                amount=D(amount),
                currency="EUR",
                date=TODAY,
                invoices=[invoice],
            )
    run(dunning)
    assert sent_levels(paid) == [] and sent_levels(part_paid) == [1]
    (message,) = mail.outbox
    assert paid.number not in message.body and "€80.00" in message.body


def test_the_fee_is_billed_once_as_an_item_of_the_project(dunning):
    invoice = dunning["invoice"](overdue_days=31)
    dunning["invoice"](overdue_days=31)  # a second invoice in the same e-mail: one fee
    run(dunning)
    with activate(dunning["tenant"]):
        (item,) = Item.objects.filter(project=dunning["project"])
        reminders = list(Reminder.objects.filter(invoice__project=dunning["project"]))
    assert (item.product_id, item.net_amount, item.billable, item.date) == (
        dunning["fee"].pk,
        D("15.000"),
        True,
        TODAY,
    )
    assert item.description == f"Reminder fee (level 2) for invoice {invoice.number}"
    assert {reminder.fee_item_id for reminder in reminders} == {item.pk}
    run(dunning, today=TODAY + datetime.timedelta(days=40))
    with activate(dunning["tenant"]):
        assert Item.objects.filter(project=dunning["project"]).count() == 1


def test_each_account_gets_one_e_mail_and_an_account_without_address_is_named(dunning):
    tenant = dunning["tenant"]
    harbour = AccountFactory(tenant=tenant, name="Harbour Clinics", email="", invoice_email="")
    other = ProjectFactory(account=harbour, currency="EUR")
    dunning["invoice"](overdue_days=10)
    dunning["invoice"](harbour, overdue_days=10, project=other)
    result = run(dunning)
    assert len(mail.outbox) == 1
    assert result.skipped == [
        "Harbour Clinics: no e-mail address (enter its “Send invoices to” or e-mail)."
    ]


def test_a_failed_e_mail_logs_nothing_so_the_next_run_tries_again(dunning, settings):
    invoice = dunning["invoice"](overdue_days=10)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens
    result = run(dunning)
    assert result.reminders == 0 and "could not be sent" in result.failed[0]
    assert "Traceback" not in result.failed[0] and sent_levels(invoice) == []
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert run(dunning).reminders == 1


def test_every_reminder_is_on_the_invoice_history(dunning, client_for):
    invoice = dunning["invoice"](overdue_days=10)
    run(dunning)
    page = client_for(dunning["world"].viewer).get(invoice.get_absolute_url()).content.decode()
    assert 'data-reminder-level="1"' in page and "Reminder sent" in page


# --- Levels -------------------------------------------------------------------------------------


def test_levels_come_in_order_and_a_fee_needs_its_product(dunning):
    tenant, admin = dunning["tenant"], dunning["world"].admin
    with activate(tenant):
        with pytest.raises(ValidationError, match="A lower level comes as late or later"):
            dunning_level_save(
                tenant=tenant, by=admin, level=DunningLevel(level=3, days_after_due=30)
            )
        with pytest.raises(ValidationError, match="level with this number already"):
            dunning_level_save(
                tenant=tenant, by=admin, level=DunningLevel(level=1, days_after_due=5)
            )
        with pytest.raises(ValidationError, match="Choose the fee product"):
            dunning_level_save(
                tenant=tenant,
                by=admin,
                level=DunningLevel(level=3, days_after_due=60, fee_amount=D("20")),
            )


def test_the_settings_page_adds_a_level_and_refuses_a_bad_placeholder(dunning, client_for):
    client = client_for(dunning["world"].admin)
    url = "/alpha/reminders/levels/"
    page = client.get(url).content.decode()
    assert 'data-level="2"' in page and "{invoice_numbers}" in page
    bad = client.post(
        url,
        {"level": 3, "days_after_due": 60, "subject": "Final {invoice.number}", "body": "x"},
    )
    assert bad.status_code == 422 and "is not a placeholder" in bad.content.decode()
    good = client.post(
        url, {"level": 3, "days_after_due": 60, "subject": "Final {invoice_numbers}", "body": "x"}
    )
    assert good.status_code == 302
    with activate(dunning["tenant"]):
        assert DunningLevel.objects.get(level=3).days_after_due == 60
    # Finance sends reminders but does not change the company's settings.
    assert client_for(dunning["world"].finance).get(url).status_code == 403


def test_the_hold_page_asks_once_with_a_reason(dunning, client_for):
    client = client_for(dunning["world"].finance)
    url = f"/alpha/reminders/hold/{dunning['meridian'].pk}/"
    assert "Put Meridian Health on hold?" in client.get(url).content.decode()
    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 422 and "Say why" in refused.content.decode()
    assert client.post(url, {"reason": "Payment plan agreed"}).status_code == 302
    with activate(dunning["tenant"]):
        assert ReminderHold.objects.get().reason == "Payment plan agreed"
    tab = client.get(f"/alpha/accounts/{dunning['meridian'].pk}/invoices/").content.decode()
    assert "Reminders on hold: Payment plan agreed" in tab
    assert client.post(url, {"action": "lift"}).status_code == 302
    with activate(dunning["tenant"]):
        assert not ReminderHold.objects.exists()
    assert client_for(dunning["world"].viewer).post(url, {"reason": "x"}).status_code == 403


# --- The command and the task -------------------------------------------------------------------


def test_the_command_dry_run_says_what_it_would_send_and_sends_nothing(dunning, capsys):
    invoice = dunning["invoice"](overdue_days=400)  # due long before today: level 2
    call_command("send_reminders", "--tenant", "alpha", "--dry-run")
    out = capsys.readouterr().out
    assert "alpha: would remind 1 invoice of 1 account." in out
    assert f"Meridian Health <ap@meridian.example>: {invoice.number} (level 2)" in out
    assert mail.outbox == [] and sent_levels(invoice) == []
    call_command("send_reminders")
    assert "alpha: reminded 1 invoice of 1 account." in capsys.readouterr().out
    assert len(mail.outbox) == 1 and sent_levels(invoice) == [2]


def test_the_task_sends_them_too(dunning):
    from invoicing.mail_tasks import send_reminders as task

    invoice = dunning["invoice"](overdue_days=400)
    assert task.func(tenant_id=dunning["tenant"].pk) == 1
    assert sent_levels(invoice) == [2]


def test_an_unknown_company_is_refused(db):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="No company with slug 'nowhere'"):
        call_command("send_reminders", "--tenant", "nowhere")


# --- Concurrency --------------------------------------------------------------------------------


@pytest.mark.postgres
def test_two_runs_at_once_send_each_level_once(postgres_only, dunning):
    invoices = [dunning["invoice"](overdue_days=10) for _ in range(3)]
    tenant = dunning["tenant"]
    barrier = threading.Barrier(2)
    failures, results = [], []

    def go():
        try:
            barrier.wait()
            with activate(tenant):
                results.append(send_reminders(tenant=tenant, today=TODAY))
        except Exception as error:
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=go) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert sorted(result.reminders for result in results) == [0, 3]
    assert len(mail.outbox) == 1
    assert [sent_levels(invoice) for invoice in invoices] == [[1], [1], [1]]
