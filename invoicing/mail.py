"""The e-mail of an issued invoice or credit note: who it goes to, its subject and text from the
company's templates, and its attachments. Built here; sent and logged by
`invoicing.services.delivery`.

Templates are the company's own text (`InvoicingSettings.email_subject` / `email_body`) with
placeholders in braces, e.g. ``{document} {number} from {company}``. They are filled with
`str.format_map` over a dict that leaves an unknown placeholder as it was written, and only after
`template_problems` has found nothing wrong with them: a stray brace, an attribute
(``{number.__class__}``), an index or a format spec never reaches `format_map` (the settings form
refuses them; a template saved otherwise is filled by plain replacement instead). Django's
template language is never run on user text.

Recipients: To is the billing account's invoice address (`invoice_email`, else its `email`),
as frozen at issue in `invoice.buyer_details["email"]` (the live account when the snapshot has
none); CC is the project's invoice address and its main contact, without duplicates; Reply-To
is the company's invoicing e-mail; From is `settings.DEFAULT_FROM_EMAIL` under the company's
name.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMessage, make_msgid
from django.utils.formats import date_format
from django.utils.translation import gettext, pgettext

from accounts.models import EInvoiceFormat
from accounts.templatetags.money import money
from invoicing import einvoice
from invoicing.languages import in_document_language
from invoicing.models import DEFAULT_EMAIL_BODY, DEFAULT_EMAIL_SUBJECT, Invoice
from invoicing.selectors import invoicing_settings

PLACEHOLDERS: dict[str, str] = {
    "document": "“Invoice” or “Credit note”",
    "document_lower": "“invoice” or “credit note”",
    "number": "the document's number",
    "company": "your company's name",
    "customer": "the billing account's name",
    "project": "the project's name",
    "total": "the total with its currency",
    "due_date": "the due date",
    "po_reference": "the purchase-order reference (empty when there is none)",
}

PDF_TYPE = "application/pdf"
XML_TYPE = "application/xml"

NO_ADDRESS = (
    "{account} has no e-mail address for invoices: enter one in the account's “Send invoices "
    "to” field (or its e-mail), then send again."
)


class _LeaveUnknown(dict):
    """Placeholders the dict does not know stay in the text as they were written."""

    def __missing__(self, key):
        return "{" + key + "}"


def template_problems(text: str, placeholders: dict[str, str] | None = None) -> list[str]:
    """What is wrong with a subject or body template, in sentences that say what to change;
    empty when it can be filled. `placeholders`: the names it may use (the invoice e-mail's by
    default; reminders have their own)."""
    placeholders = PLACEHOLDERS if placeholders is None else placeholders
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError:
        return [
            "It has a “{” or “}” without its pair: write placeholders as {number}, and a brace "
            "that should be printed as {{ or }}."
        ]
    problems = []
    known = ", ".join(f"{{{name}}}" for name in placeholders)
    for _literal, name, spec, conversion in fields:
        if name is None:
            continue
        written = (
            "{"
            + name
            + (f"!{conversion}" if conversion else "")
            + (f":{spec}" if spec else "")
            + "}"
        )
        if not name.isidentifier() or spec or conversion:
            problems.append(
                f"“{written}” is not a placeholder: write a placeholder as a plain name in "
                f"braces, one of {known}."
            )
        elif name not in placeholders:
            problems.append(f"{{{name}}} is not a placeholder: use one of {known}.")
    return list(dict.fromkeys(problems))


def fill(text: str, values: dict[str, str]) -> str:
    """The template with its placeholders filled; never raises on a malformed template."""
    if _plain_names_only(text):
        return text.format_map(_LeaveUnknown(values))
    for name, value in values.items():  # a template saved without the form's check
        text = text.replace("{" + name + "}", value)
    return text


def _plain_names_only(text: str) -> bool:
    """It parses and every field is a plain name, known or not: safe for `format_map`."""
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError:
        return False
    return all(
        name is None or (name.isidentifier() and not spec and not conversion)
        for _literal, name, spec, conversion in fields
    )


def placeholder_values(invoice: Invoice) -> dict[str, str]:
    """The placeholders' values for one issued document, from its frozen snapshot."""
    document = invoice.get_kind_display()
    # As a sentence names it: "invoice" in English, "die Rechnung" in German.
    in_sentence = (
        pgettext("in a sentence", "credit note")
        if invoice.is_credit_note
        else pgettext("in a sentence", "invoice")
    )
    return {
        "document": document,
        "document_lower": in_sentence,
        "number": invoice.number,
        "company": invoice.seller_name or invoice.tenant.name,
        "customer": invoice.billing_name or invoice.billing_account.name,
        "project": invoice.project.name,
        "total": money(invoice.gross_total, invoice.currency),
        "due_date": date_format(invoice.due_date, "j M Y") if invoice.due_date else "",
        "po_reference": invoice.po_reference,
    }


def recipients(invoice: Invoice) -> tuple[str, list[str]]:
    """(To, CC) of the invoice's e-mail; To is empty when the billing account has no address.

    The address is the billing account's as it is now, not the one frozen at issue: it says
    where the e-mail goes, not what the document says, and an address found wrong (a bounce)
    must be correctable without crediting the invoice. The frozen one is the fallback."""
    account = invoice.billing_account
    to = (
        account.invoice_email or account.email or (invoice.buyer_details or {}).get("email") or ""
    ).strip()
    project = invoice.project
    candidates = [project.invoice_email]
    if project.main_contact_id:
        candidates.append(project.main_contact.email)
    cc, seen = [], {to.lower()}
    for address in candidates:
        address = (address or "").strip()
        if address and address.lower() not in seen:
            seen.add(address.lower())
            cc.append(address)
    return to, cc


def no_address_message(invoice: Invoice) -> str:
    return NO_ADDRESS.format(account=invoice.billing_account.name)


def wants_ubl(invoice: Invoice) -> bool:
    """The billing account asks for the UBL file, and the document can have one (a currency
    with three decimals has no EN 16931 e-invoice: the PDF alone goes)."""
    return invoice.billing_account.einvoice_format == EInvoiceFormat.UBL and einvoice.is_supported(
        invoice
    )


def attachment_names(invoice: Invoice) -> list[str]:
    names = [f"{invoice.number}.pdf"]
    if wants_ubl(invoice):
        names.append(f"{invoice.number}.xml")
    return names


def subject_and_body(invoice: Invoice, *, templates=None) -> tuple[str, str]:
    """The subject and text for `invoice`, from the company's saved templates (or from
    `templates`, any object with `email_subject` and `email_body`: a preview of unsaved ones)."""
    templates = templates or invoicing_settings(invoice.tenant)
    with in_document_language(invoice):  # the billing account's language, frozen at issue
        values = placeholder_values(invoice)
        subject_text = company_text(templates.email_subject, DEFAULT_EMAIL_SUBJECT)
        body_text = company_text(templates.email_body, DEFAULT_EMAIL_BODY)
    subject = " ".join(fill(subject_text, values).split())  # one line, always
    return subject, fill(body_text, values)


def company_text(text: str, default: str) -> str:
    """A company's e-mail template: left as the app's default, the default in the active
    language (a German customer gets the German wording); the company's own words as written."""
    if (text or "").strip() == default.strip():
        return gettext(default)
    return text


def placeholder_help(placeholders: dict[str, str] | None = None) -> str:
    placeholders = PLACEHOLDERS if placeholders is None else placeholders
    return (
        "Placeholders: "
        + "; ".join(f"{{{name}}} {meaning}" for name, meaning in placeholders.items())
        + "."
    )


def from_address(name: str) -> str:
    """The From of the company's e-mails: DEFAULT_FROM_EMAIL's address under `name`."""
    return formataddr((name, parseaddr(settings.DEFAULT_FROM_EMAIL)[1]))


def new_message_id() -> str:
    """A Message-ID in the sender's domain (never the host's name, which may be slow to find)."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    return make_msgid(domain=domain)


@dataclass
class Built:
    message: EmailMessage
    subject: str
    attachments: list[str] = field(default_factory=list)


def build(invoice: Invoice, *, to: str, cc: list[str], message_id: str, pdf: bytes) -> Built:
    """The e-mail of an issued document to `to` (copied to `cc`), with the stored PDF and, when
    the billing account asks for it, the UBL invoice."""
    subject, body = subject_and_body(invoice)
    tenant = invoice.tenant
    sender = invoice.seller_name or tenant.name  # the name the document was issued under
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=from_address(sender),
        to=[to],
        cc=cc,
        reply_to=[tenant.invoice_email] if tenant.invoice_email else None,
        headers={"Message-ID": message_id},
    )
    names = [f"{invoice.number}.pdf"]
    message.attach(names[0], pdf, PDF_TYPE)
    if wants_ubl(invoice):
        names.append(f"{invoice.number}.xml")
        message.attach(names[1], einvoice.ubl_xml(invoice), XML_TYPE)
    return Built(message=message, subject=subject, attachments=names)
