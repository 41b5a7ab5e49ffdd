"""Issued invoices and credit notes sent by e-mail, with the delivery log (issue 15, item 4)."""

import email
import email.policy
import smtplib
import socket
import threading

import pytest
from django.core import mail as outbox
from django.core.exceptions import ValidationError
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.test import TestCase, override_settings
from lxml import etree

from accounts.models import EInvoiceFormat
from accounts.platform.models import AuditEntry, Tenant
from invoicing import mail, selectors, services
from invoicing.forms import InvoicingSettingsForm
from invoicing.mail_tasks import send_invoice, send_run_invoices
from invoicing.models import (
    DEFAULT_EMAIL_BODY,
    DEFAULT_EMAIL_SUBJECT,
    DeliveryStatus,
    Invoice,
    InvoiceDelivery,
    InvoiceRun,
    InvoicingSettings,
    RunStatus,
)
from tests.factories import AccountFactory, ContactFactory, ProjectFactory
from tests.invoicing.test_bulk_runs import delivered

TO = "payables@meridian.example"
PROJECT_CC = "l-and-d@meridian.example"


class RefusedBackend(BaseEmailBackend):
    """A mail server that cannot be reached, with server details that must not reach a page."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError(111, "Connection refused by relay-7.internal:25 SECRET")


class RefusingRecipientBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPRecipientsRefused({TO: (550, b"5.1.1 no such user SECRET")})


@pytest.fixture
def addressed(billing):
    """The billing fixture with addresses: the account's invoice address, the project's invoice
    address and main contact, and the company's invoicing e-mail (Reply-To)."""
    tenant, account, project = billing["tenant"], billing["account"], billing["project"]
    Tenant.objects.filter(pk=tenant.pk).update(invoice_email="accounts@alpha.example")
    account.invoice_email, account.email = TO, "info@meridian.example"
    account.save()
    contact = ContactFactory(account=account, first_name="Ada", last_name="Lovelace")
    project.invoice_email, project.main_contact = PROJECT_CC, contact
    project.save()
    billing["contact"] = contact
    return billing


@pytest.fixture
def issued(act, addressed):
    """An issued invoice of the four registrations (PO-A and PO-B) and the exam fee."""
    (draft,) = act(
        services.drafts_create,
        project=addressed["project"],
        registration_ids=[r.pk for r in addressed["registrations"]],
        item_ids=[addressed["item"].pk],
    )
    draft.po_reference = "PO-77"
    draft.save(update_fields=["po_reference"])
    return act(services.invoice_issue, invoice=draft, render_pdf=False)


def _url(invoice):
    return f"/alpha/invoices/{invoice.pk}/"


def _text(response) -> str:
    """The page's HTML with its whitespace runs made single spaces."""
    return " ".join(response.content.decode().split())


def _stored_pdf(invoice) -> bytes:
    invoice.refresh_from_db()
    with invoice.pdf.open("rb") as handle:
        return handle.read()


# --- The message ---------------------------------------------------------------------------------


def test_send_emails_the_pdf_to_the_billing_account_copying_the_project_contact(
    act, addressed, issued
):
    delivery, sent_now = act(services.invoice_send, invoice=issued)

    assert sent_now and delivery.status == DeliveryStatus.SENT and delivery.sent_at
    (message,) = outbox.outbox
    assert message.to == [TO]
    assert message.cc == [PROJECT_CC, addressed["contact"].email]
    assert message.reply_to == ["accounts@alpha.example"]
    assert message.from_email == "Alpha Training <no-reply@localhost>"
    assert message.subject == f"Invoice {issued.number} from Alpha Training"
    assert message.body.startswith("Dear Meridian Health,")
    assert f"invoice {issued.number} for {addressed['project'].name}" in message.body
    assert "€4,510.00" in message.body  # 3,600.00 at 20 % and 190.00 exempt
    assert f"due on {issued.due_date.day} {issued.due_date:%b %Y}" in message.body
    assert message.extra_headers["Message-ID"] == delivery.message_id
    ((name, content, kind),) = message.attachments
    assert (name, kind) == (f"{issued.number}.pdf", "application/pdf")
    assert content.startswith(b"%PDF") and content == _stored_pdf(issued)

    delivery.refresh_from_db()
    assert (delivery.recipient, delivery.cc, delivery.attempts, delivery.round) == (
        TO,
        f"{PROJECT_CC}, {addressed['contact'].email}",
        1,
        1,
    )
    assert delivery.subject == message.subject
    assert delivery.attachments == f"{issued.number}.pdf"
    entry = AuditEntry.objects.get(object_id=issued.pk, action="sent")
    assert entry.actor == addressed["world"].finance
    assert entry.after["to"] == TO and entry.after["message id"] == delivery.message_id


def test_the_placeholders_fill_subject_and_body_and_unknown_ones_stay_visible(act, issued):
    InvoicingSettings.objects.create(
        tenant=issued.tenant,
        email_subject="{document_lower} {number} ({po_reference}) {unknown}",
        email_body="{customer}/{company}/{project}/{total}/{due_date} {{literal}} {nope}",
    )
    act(services.invoice_send, invoice=issued)
    (message,) = outbox.outbox
    assert message.subject == f"invoice {issued.number} (PO-77) {{unknown}}"
    assert message.body.startswith("Meridian Health/Alpha Training/")
    assert message.body.endswith(" {literal} {nope}")


@pytest.mark.parametrize(
    "template, filled",
    [
        ("Invoice {number", "Invoice {number"),
        ("Invoice {number} }", "Invoice INV-1 }"),
        ("{number.__class__}", "{number.__class__}"),
        ("{0} {number}", "{0} INV-1"),
        ("{total:>30}", "{total:>30}"),
        ("{x!r}", "{x!r}"),
        ("{number} {unknown}", "INV-1 {unknown}"),
    ],
)
def test_a_template_saved_without_the_form_check_is_filled_and_never_raises(template, filled):
    assert mail.fill(template, {"number": "INV-1", "total": "€1.00"}) == filled


def test_the_settings_form_names_an_unknown_placeholder_and_a_stray_brace(billing):
    data = {
        "max_rate_age_days": 7,
        "email_subject": "{document} {numbr}",
        "email_body": "Dear {customer",
    }
    form = InvoicingSettingsForm(
        data, instance=InvoicingSettings(tenant=billing["tenant"]), tenant=billing["tenant"]
    )
    assert not form.is_valid()
    assert "{numbr} is not a placeholder" in form.errors["email_subject"][0]
    assert "{number}" in form.errors["email_subject"][0]
    assert "without its pair" in form.errors["email_body"][0]


def test_the_settings_service_refuses_a_template_whatever_saves_it(act, billing):
    """The admin saves through the service, not the page's form: the service checks too, and
    the change of a template is audited."""
    with pytest.raises(ValidationError) as refused:
        act(
            services.invoicing_settings_save,
            settings=InvoicingSettings(email_subject="{document} {numbr}"),
        )
    assert "{numbr} is not a placeholder" in str(refused.value.message_dict["email_subject"])
    act(
        services.invoicing_settings_save,
        settings=InvoicingSettings(email_subject="Your {document} {number}"),
    )
    entry = AuditEntry.objects.filter(action="invoicing settings changed").latest("pk")
    assert entry.after["email_subject"] == "Your {document} {number}"


def test_the_settings_page_saves_the_templates_and_previews_the_latest_invoice(
    addressed, issued, client_for
):
    client = client_for(addressed["world"].admin)
    refused = client.post(
        "/alpha/invoices/settings/",
        {"max_rate_age_days": 7, "email_subject": "{nummer}", "email_body": "x"},
    )
    assert refused.status_code == 422
    assert "{nummer} is not a placeholder" in refused.content.decode()
    saved = client.post(
        "/alpha/invoices/settings/",
        {
            "max_rate_age_days": 7,
            "email_subject": "Your {document_lower} {number}",
            "email_body": "Hello {customer}, {total} please.",
        },
    )
    assert saved.status_code == 302
    page = client.get("/alpha/invoices/settings/").content.decode()
    assert f"Your invoice {issued.number}" in page
    assert "Hello Meridian Health, €4,510.00 please." in page
    assert "{po_reference}" in page  # the help text lists the placeholders
    assert TO in page
    emptied = {"max_rate_age_days": 7, "email_subject": " ", "email_body": ""}
    assert client.post("/alpha/invoices/settings/", emptied).status_code == 302
    restored = selectors.invoicing_settings(addressed["tenant"])
    assert (restored.email_subject, restored.email_body) == (
        DEFAULT_EMAIL_SUBJECT,
        DEFAULT_EMAIL_BODY,
    )


def test_the_ubl_file_goes_along_when_the_account_asks_for_it(act, addressed, issued):
    account = addressed["account"]
    account.einvoice_format = EInvoiceFormat.UBL
    account.save()
    delivery, _ = act(services.invoice_send, invoice=issued)
    assert delivery.status == DeliveryStatus.SENT, delivery.error
    (message,) = outbox.outbox
    names = [(name, kind) for name, _content, kind in message.attachments]
    assert names == [
        (f"{issued.number}.pdf", "application/pdf"),
        (f"{issued.number}.xml", "application/xml"),
    ]
    xml = etree.fromstring(message.attachments[1][1])
    assert etree.QName(xml).localname == "Invoice"
    assert xml.findtext("{*}ID") == issued.number
    assert delivery.attachments == f"{issued.number}.pdf, {issued.number}.xml"


def test_a_credit_note_is_sent_as_a_credit_note(act, addressed, issued):
    account = addressed["account"]
    account.einvoice_format = EInvoiceFormat.UBL
    account.save()
    note = act(services.invoice_credit, invoice=issued, reason="Cancelled course")
    delivery, _ = act(services.invoice_send, invoice=note)
    (message,) = outbox.outbox
    assert message.subject == f"Credit note {note.number} from Alpha Training"
    assert etree.QName(etree.fromstring(message.attachments[1][1])).localname == "CreditNote"
    assert delivery.status == DeliveryStatus.SENT


# --- Refusals ------------------------------------------------------------------------------------


def test_a_draft_is_refused(act, addressed, client_for):
    (draft,) = act(
        services.drafts_create,
        project=addressed["project"],
        registration_ids=[addressed["registrations"][0].pk],
    )
    with pytest.raises(ValidationError, match="A draft cannot be e-mailed: issue it first"):
        act(services.invoice_send, invoice=draft)
    page = client_for(addressed["world"].finance).post(
        _url(draft), {"action": "send", "round": "1"}, follow=True
    )
    assert "A draft cannot be e-mailed" in page.content.decode()
    assert not outbox.outbox and not InvoiceDelivery.objects.exists()


def test_without_an_address_send_is_refused_and_says_where_to_enter_one(
    act, addressed, issued, client_for
):
    account = addressed["account"]
    account.invoice_email = account.email = ""
    account.save()
    Invoice.objects.filter(pk=issued.pk).update(buyer_details={})
    with pytest.raises(ValidationError, match="“Send invoices to” field"):
        act(services.invoice_send, invoice=issued)
    page = client_for(addressed["world"].finance).get(_url(issued)).content.decode()
    assert "Meridian Health has no e-mail address for invoices" in page
    assert 'disabled aria-describedby="send-problem"' in " ".join(page.split())
    assert not outbox.outbox


def test_an_address_corrected_after_issue_is_where_the_e_mail_goes(act, addressed, issued):
    """A bounce says to correct the account's address and send again: the correction counts,
    without crediting the invoice (the document keeps the address frozen at issue)."""
    addressed["account"].invoice_email = "changed@meridian.example"
    addressed["account"].save()
    act(services.invoice_send, invoice=issued)
    assert outbox.outbox[0].to == ["changed@meridian.example"]
    issued.refresh_from_db()
    assert issued.buyer_details["email"] == TO


def test_the_address_frozen_at_issue_is_the_fallback(act, addressed, issued):
    addressed["account"].invoice_email = addressed["account"].email = ""
    addressed["account"].save()
    act(services.invoice_send, invoice=issued)
    assert outbox.outbox[0].to == [TO]


# --- Idempotency ---------------------------------------------------------------------------------


def test_a_double_post_sends_once_and_send_again_is_the_next_round(addressed, issued, client_for):
    client = client_for(addressed["world"].finance)
    page = client.get(_url(issued)).content.decode()
    assert f"This e-mails {issued.number}" in " ".join(page.split())
    assert 'name="round" value="1"' in page
    first = client.post(_url(issued), {"action": "send", "round": "1"}, follow=True)
    second = client.post(_url(issued), {"action": "send", "round": "1"}, follow=True)
    assert f"{issued.number} e-mailed to {TO}" in first.content.decode()
    assert "nothing was sent twice" in second.content.decode()
    assert len(outbox.outbox) == 1 and InvoiceDelivery.objects.count() == 1

    page = client.get(_url(issued)).content.decode()
    assert "Send again" in page and 'name="round" value="2"' in page
    client.post(_url(issued), {"action": "resend", "round": "2"})
    client.post(_url(issued), {"action": "resend", "round": "2"})
    assert len(outbox.outbox) == 2
    assert sorted(InvoiceDelivery.objects.values_list("round", flat=True)) == [1, 2]
    skipped = client.post(_url(issued), {"action": "resend", "round": "9"}, follow=True)
    assert "reload the page" in skipped.content.decode()
    assert len(outbox.outbox) == 2
    ids = {message.extra_headers["Message-ID"] for message in outbox.outbox}
    assert len(ids) == 2


def test_a_retried_task_sends_nothing_twice(addressed, issued):
    tenant = addressed["tenant"]
    user = addressed["world"].finance
    assert send_invoice.func(tenant_id=tenant.pk, invoice_id=issued.pk, user_id=user.pk) == "sent"
    assert send_invoice.func(tenant_id=tenant.pk, invoice_id=issued.pk, user_id=user.pk) == "sent"
    assert len(outbox.outbox) == 1
    delivery = InvoiceDelivery.objects.get()
    assert delivery.attempts == 1
    # As if the worker had died while the server took the e-mail: taken, not known to be sent.
    InvoiceDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.QUEUED)
    assert send_invoice.func(tenant_id=tenant.pk, invoice_id=issued.pk) == "queued"
    assert len(outbox.outbox) == 1


def test_a_delivery_whose_sender_stopped_long_ago_can_be_retried_from_the_page(
    act, addressed, issued, client_for
):
    """Taken and never recorded (the worker was killed between the mail server and the log):
    not re-sent by itself, but after STALL_AFTER the page says so and offers Retry."""
    import datetime

    from django.utils import timezone

    act(services.invoice_send, invoice=issued)
    delivery = InvoiceDelivery.objects.get()
    InvoiceDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.QUEUED, taken_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    with pytest.raises(ValidationError, match="still being sent"):
        act(services.delivery_retry, delivery=InvoiceDelivery.objects.get())
    InvoiceDelivery.objects.filter(pk=delivery.pk).update(
        taken_at=timezone.now() - InvoiceDelivery.STALL_AFTER - datetime.timedelta(minutes=1)
    )
    client = client_for(addressed["world"].finance)
    page = _text(client.get(_url(issued)))
    assert "Its sender stopped before saying how it went" in page
    response = client.post(_url(issued), {"action": "retry", "delivery": delivery.pk})
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 2)
    assert len(outbox.outbox) == 2  # the first send, and the retry asked for on purpose


def test_a_delivery_taken_by_another_worker_is_not_sent_again(act, addressed, issued):
    from invoicing.services.delivery import delivery_deliver

    delivery, _ = act(services.invoice_send, invoice=issued)
    stale = InvoiceDelivery.objects.get(pk=delivery.pk)
    stale.attempts, stale.status = 0, DeliveryStatus.QUEUED  # what a slow worker still holds
    again = act(delivery_deliver, delivery=stale)
    assert again.status == DeliveryStatus.SENT and len(outbox.outbox) == 1


# --- Failures and retry --------------------------------------------------------------------------


def test_a_failure_is_shown_without_server_details_and_retry_sends_it(
    addressed, issued, client_for, caplog
):
    client = client_for(addressed["world"].finance)
    with override_settings(EMAIL_BACKEND=f"{__name__}.RefusedBackend"):
        page = client.post(_url(issued), {"action": "send", "round": "1"}, follow=True)
    body = page.content.decode()
    delivery = InvoiceDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED and delivery.sent_at is None
    assert "The mail server could not be reached" in delivery.error
    assert f"{issued.number} was not sent: The mail server could not be reached" in body
    assert "SECRET" not in body and "relay-7" not in body
    assert "SECRET" in caplog.text  # the details are in the log, under the reference
    reference = delivery.error.rsplit(" ", 1)[-1].rstrip(".")
    assert reference in caplog.text
    assert 'name="action" value="retry"' in body
    assert AuditEntry.objects.filter(object_id=issued.pk, action="e-mail failed").exists()
    assert not outbox.outbox

    retried = client.post(
        _url(issued), {"action": "retry", "delivery": delivery.pk}, follow=True
    ).content.decode()
    assert f"{issued.number} e-mailed to {TO}" in retried
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.error) == (DeliveryStatus.SENT, 2, "")
    assert outbox.outbox[0].extra_headers["Message-ID"] == delivery.message_id
    again = client.post(_url(issued), {"action": "retry", "delivery": delivery.pk}, follow=True)
    assert "was sent already" in again.content.decode() and len(outbox.outbox) == 1


def test_a_refused_recipient_says_to_correct_the_address(act, issued):
    with override_settings(EMAIL_BACKEND=f"{__name__}.RefusingRecipientBackend"):
        delivery, _ = act(services.invoice_send, invoice=issued)
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.error.startswith("The mail server refused the recipient's address")
    assert "SECRET" not in delivery.error


# --- Pages, permissions, tenants -----------------------------------------------------------------


def test_the_page_shows_the_delivery_log_and_the_history_shows_the_send(
    act, addressed, issued, client_for
):
    delivery, _ = act(services.invoice_send, invoice=issued)
    page = client_for(addressed["world"].viewer).get(_url(issued)).content.decode()
    log = page[page.index('aria-label="Delivery log"') :]
    assert TO in log and PROJECT_CC in log and delivery.message_id.strip("<>") in log
    assert "Sent" in log
    history = page[page.index(">History<") :]
    assert "Sent" in history and f"to: {TO}" in history
    assert "message id:" in history
    assert f'href="/alpha/invoices/{issued.pk}/ubl/"' in page  # Download UBL
    assert f'href="/alpha/invoices/{issued.pk}/pdf/?download=1"' in page  # Download PDF


def test_a_viewer_cannot_send(addressed, issued, client_for):
    client = client_for(addressed["world"].viewer)
    page = client.get(_url(issued)).content.decode()
    assert "Send now" not in page
    assert client.post(_url(issued), {"action": "send", "round": "1"}).status_code == 403
    assert not outbox.outbox


def test_another_company_gets_404_on_every_send(act, addressed, issued, world_b, client_for):
    with override_settings(EMAIL_BACKEND=f"{__name__}.RefusedBackend"):
        delivery, _ = act(services.invoice_send, invoice=issued)
    outsider = client_for(world_b.admin)
    for data in (
        {"action": "send", "round": "1"},
        {"action": "resend", "round": "2"},
        {"action": "retry", "delivery": delivery.pk},
    ):
        assert outsider.post(f"/bravo/invoices/{issued.pk}/", data).status_code == 404
        assert outsider.post(_url(issued), data).status_code == 404
    run = InvoiceRun.objects.create(tenant=addressed["tenant"], key="x" * 32)
    assert (
        outsider.post(f"/bravo/invoices/runs/{run.pk}/", {"action": "send_all"}).status_code == 404
    )
    assert not outbox.outbox


def test_retry_of_another_invoices_delivery_is_404(act, addressed, issued, client_for):
    with override_settings(EMAIL_BACKEND=f"{__name__}.RefusedBackend"):
        delivery, _ = act(services.invoice_send, invoice=issued)
    note = act(services.invoice_credit, invoice=issued, reason="x")
    response = client_for(addressed["world"].finance).post(
        _url(note), {"action": "retry", "delivery": delivery.pk}
    )
    assert response.status_code == 404


# --- Send all after a bulk run -------------------------------------------------------------------


@pytest.fixture
def run_done(addressed, act):
    """A bulk run that issued three invoices: two to accounts with an address, one without."""
    tenant = addressed["tenant"]
    silent = AccountFactory(tenant=tenant, name="Quiet Ltd")
    other = AccountFactory(tenant=tenant, name="Loud Ltd", email="ap@loud.example")
    delivered(ProjectFactory(account=silent, code="PR-Q"), 2)
    delivered(ProjectFactory(account=other, code="PR-L"), 2)
    with TestCase.captureOnCommitCallbacks(execute=True):
        run, _ = act(services.run_start, key="k" * 32, selection={}, grouping="project")
    with TestCase.captureOnCommitCallbacks(execute=True):
        act(services.run_issue_start, run=run)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE and run.invoices_issued == 3
    return run


def test_send_all_sends_the_runs_invoices_in_the_background_with_progress(
    addressed, run_done, client_for
):
    client = client_for(addressed["world"].finance)
    url = run_done.get_absolute_url()
    page = _text(client.get(url))
    assert "Send all (3)" in page and "0 sent · 0 failed · 0 queued · 3 not sent" in page

    with TestCase.captureOnCommitCallbacks(execute=False) as queued:
        started = _text(client.post(url, {"action": "send_all"}, follow=True))
    assert "Sending 2 e-mails in the background." in started
    quiet = Invoice.objects.get(billing_account__name="Quiet Ltd")
    assert f"({quiet.number}) not sent: the billing account has no e-mail address" in started
    progress = _text(client.get(url, headers={"HX-Request": "true"}))
    assert "0 sent · 0 failed · 2 queued · 1 not sent" in progress
    assert 'hx-trigger="every 1s"' in progress and "<html" not in progress
    assert not outbox.outbox

    for callback in queued:
        callback()
    assert sorted(m.to[0] for m in outbox.outbox) == ["ap@loud.example", TO]
    progress = _text(client.get(url, headers={"HX-Request": "true"}))
    assert "2 sent · 0 failed · 0 queued · 1 not sent" in progress
    assert 'hx-trigger="every 1s"' not in progress
    assert set(InvoiceDelivery.objects.values_list("run_id", flat=True)) == {run_done.pk}

    # Pressed again, or its task retried: nothing is sent twice.
    again = _text(client.post(url, {"action": "send_all"}, follow=True))
    assert "Nothing to send: " + quiet.number in again
    send_run_invoices.func(tenant_id=addressed["tenant"].pk, run_id=run_done.pk)
    assert len(outbox.outbox) == 2
    counts = selectors.run_mail_counts(run_done)
    assert (counts["sent"], counts["queued"], counts["unsent"]) == (2, 0, 1)


def test_send_all_counts_failures_and_skips_invoices_sent_from_their_page(
    act, addressed, run_done, client_for
):
    first = Invoice.objects.filter(run=run_done, billing_account=addressed["account"]).get()
    act(services.invoice_send, invoice=first)
    with (
        override_settings(EMAIL_BACKEND=f"{__name__}.RefusedBackend"),
        TestCase.captureOnCommitCallbacks(execute=True),
    ):
        result = act(services.run_send_start, run=run_done)
    assert result["queued"] == 1
    counts = selectors.run_mail_counts(run_done)
    assert (counts["sent"], counts["failed"], counts["queued"]) == (0, 1, 0)
    page = _text(client_for(addressed["world"].finance).get(run_done.get_absolute_url()))
    assert "1 e-mail failed: open the invoice to see why and retry." in page
    assert len(outbox.outbox) == 1


def test_a_viewer_cannot_send_all(addressed, run_done, client_for):
    client = client_for(addressed["world"].viewer)
    assert "Send all" not in client.get(run_done.get_absolute_url()).content.decode()
    assert client.post(run_done.get_absolute_url(), {"action": "send_all"}).status_code == 403
    assert not InvoiceDelivery.objects.exists()


# --- Over the wire: a real SMTP server -----------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Sink:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted"


def test_what_goes_over_the_wire_to_a_real_smtp_server(act, addressed, issued):
    from aiosmtpd.controller import Controller

    account = addressed["account"]
    account.einvoice_format = EInvoiceFormat.UBL
    account.save()
    sink, port = _Sink(), _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=port,
            EMAIL_TIMEOUT=10,
        ):
            delivery, _ = act(services.invoice_send, invoice=issued)
    finally:
        controller.stop()

    assert delivery.status == DeliveryStatus.SENT, delivery.error
    (envelope,) = sink.envelopes
    assert envelope.mail_from == "no-reply@localhost"
    assert envelope.rcpt_tos == [TO, PROJECT_CC, addressed["contact"].email]
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert message["Message-ID"] == delivery.message_id
    assert message["Reply-To"] == "accounts@alpha.example"
    assert message["To"] == TO
    assert message["Cc"] == f"{PROJECT_CC}, {addressed['contact'].email}"
    assert message["Subject"] == f"Invoice {issued.number} from Alpha Training"
    parts = [
        (part.get_filename(), part.get_content_type(), part.get_payload(decode=True))
        for part in message.iter_attachments()
    ]
    assert [(name, kind) for name, kind, _ in parts] == [
        (f"{issued.number}.pdf", "application/pdf"),
        (f"{issued.number}.xml", "application/xml"),
    ]
    assert parts[0][2] == _stored_pdf(issued)
    assert etree.fromstring(parts[1][2]).findtext("{*}ID") == issued.number
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert body.startswith("Dear Meridian Health,")


def test_two_sends_at_the_same_moment_send_once(postgres_only, act, issued):
    barrier = threading.Barrier(2)
    results, failures = [], []

    def send():
        try:
            barrier.wait()
            results.append(act(services.invoice_send, invoice=issued, round=1))
        except Exception as error:
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures
    assert sorted(sent_now for _delivery, sent_now in results) == [False, True]
    assert len(outbox.outbox) == 1 and InvoiceDelivery.objects.count() == 1
