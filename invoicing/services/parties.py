"""The parties of an invoice, frozen at issue: the seller (the company), the buyer (the billing
account) and the bank account to pay into.

The text fields (`seller_address`, `billing_address`, …) are what the PDF prints; the
`*_details` JSON fields hold the same facts field by field for the e-invoices (UBL, CII):

    seller_details = {name, street_lines: [..], postal_code, city, country_area, country (ISO
        alpha-2), country_name, vat_id, registration_number, register, contact_name, email,
        phone, endpoint: {scheme, id}}
    buyer_details = {name, street_lines, postal_code, city, country_area, country,
        country_name, vat_id, account_number, contact_name, contact_email, email,
        endpoint: {scheme, id}, language (the document's, e.g. "de")}
    payment_details = {bank_name, account_holder, iban, bic, account_number, sort_code,
        currency} or {} when the company has no bank account for the invoice.

Addresses are written as each country writes them, with the country's English name on both
sides (`accounts.platform.addresses`). The buyer's contact is the project's main contact, else
the billing account's primary contact; its e-mail is the account's invoice address, else its
e-mail. An endpoint (Peppol BT-34/BT-49) is `{}` when nothing is known. The bank account is the
company's active one in the invoice's currency, else its active default, else none.

Issuing freezes hundreds of invoices in one bulk run: `preload(tenant, invoices)` reads the
company's bank accounts and every contact the batch needs in two queries, and `freeze` then
asks the database nothing. Without it, `freeze` reads them for its one invoice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q

from accounts.models import Account, BankAccount, Contact
from accounts.platform.addresses import PostalAddress, country_name, format_address
from accounts.platform.languages import account_language
from invoicing.models import Invoice

_BATCH_ATTRIBUTE = "_parties_batch"


@dataclass
class Batch:
    """What freezing a batch of invoices reads from the database, read once."""

    bank_accounts: list[BankAccount] = field(default_factory=list)
    contacts: dict[int, Contact] = field(default_factory=dict)  # by id (projects' contacts)
    primary_contacts: dict[int, Contact] = field(default_factory=dict)  # by account id
    # Worked out once per batch: the seller's details and address, each buyer's address.
    seller: tuple[dict, str] | None = None
    addresses: dict[int, str] = field(default_factory=dict)  # by account id


def load(tenant, invoices) -> Batch:
    """The company's active bank accounts and the contacts `invoices` name, in two queries."""
    main_ids = {invoice.project.main_contact_id for invoice in invoices}
    main_ids.discard(None)
    account_ids = {invoice.billing_account_id for invoice in invoices}
    contacts = Contact.objects.filter(
        Q(pk__in=main_ids) | Q(account_id__in=account_ids, is_primary=True)
    ).only("pk", "account_id", "first_name", "last_name", "email", "is_primary")
    batch = Batch(
        bank_accounts=list(BankAccount.objects.filter(tenant=tenant, is_active=True)),
    )
    for contact in contacts:
        if contact.pk in main_ids:
            batch.contacts[contact.pk] = contact
        if contact.is_primary:
            batch.primary_contacts[contact.account_id] = contact
    return batch


def preload(tenant, invoices) -> None:
    """Read what freezing `invoices` needs at once (see the module's text)."""
    batch = load(tenant, invoices)
    for invoice in invoices:
        setattr(invoice, _BATCH_ATTRIBUTE, batch)


def freeze(invoice: Invoice, tenant) -> None:
    batch = getattr(invoice, _BATCH_ATTRIBUTE, None) or load(tenant, [invoice])
    account = invoice.billing_account
    project = invoice.project

    if batch.seller is None:
        batch.seller = (seller_details(tenant), _address_text(tenant))
    seller, seller_address = batch.seller
    if account.pk not in batch.addresses:
        batch.addresses[account.pk] = _address_text(account)
    buyer = buyer_details(account, contact=_buyer_contact(invoice, batch), tenant=tenant)
    invoice.seller_name = tenant.name
    invoice.seller_address = seller_address
    invoice.seller_vat_number = tenant.vat_number
    invoice.seller_details = dict(seller)  # each invoice its own (JSON) copy
    invoice.billing_name = account.name
    invoice.billing_account_number = account.number
    invoice.billing_address = batch.addresses[account.pk]
    invoice.billing_tax_id = account.tax_id
    invoice.buyer_details = buyer
    invoice.payment_details = payment_details(
        choose_bank_account(batch.bank_accounts, invoice.currency), tenant, invoice.currency
    )
    invoice.customer_name = project.account.name
    invoice.customer_number = project.account.number
    invoice.project_code = project.code
    invoice.customer_tags = project.account.tags
    invoice.payment_terms_days = tenant.payment_terms_days


def _postal(row) -> PostalAddress:
    return PostalAddress(
        street=row.address,
        postal_code=row.postal_code,
        city=row.city,
        country_area=row.country_area,
        country=row.country,
    )


def _address_text(row) -> str:
    return format_address(_postal(row))


def _address_details(row) -> dict:
    postal = _postal(row)
    return {
        "street_lines": postal.street_lines,
        "postal_code": (row.postal_code or "").strip(),
        "city": (row.city or "").strip(),
        "country_area": (row.country_area or "").strip(),
        "country": (row.country or "").upper(),
        "country_name": country_name(row.country),
    }


def seller_details(tenant) -> dict:
    email = tenant.invoice_email
    return {
        "name": tenant.name,
        **_address_details(tenant),
        "vat_id": tenant.vat_number,
        "registration_number": tenant.registration_number,
        "register": tenant.registration_register,
        "contact_name": tenant.invoice_contact_name,
        "email": email,
        "phone": tenant.invoice_phone,
        "endpoint": {"scheme": "EM", "id": email} if email else {},
    }


def buyer_details(account: Account, *, contact: Contact | None, tenant=None) -> dict:
    email = account.invoice_email or account.email
    return {
        # The document's language, frozen so that a re-render is the same (invoicing.languages).
        "language": account_language(account, tenant),
        "name": account.name,
        **_address_details(account),
        "vat_id": account.tax_id,
        "account_number": str(account.number) if account.number else "",
        "contact_name": contact.full_name if contact else "",
        "contact_email": contact.email if contact else "",
        "email": email,
        "endpoint": buyer_endpoint(account.peppol_id, email),
    }


def buyer_endpoint(peppol_id: str, email: str) -> dict:
    """The buyer's electronic address: its Peppol id (scheme:id), else its e-mail."""
    scheme, _, identifier = (peppol_id or "").partition(":")
    if scheme and identifier:
        return {"scheme": scheme, "id": identifier}
    if email:
        return {"scheme": "EM", "id": email}
    return {}


def _buyer_contact(invoice: Invoice, batch: Batch) -> Contact | None:
    main_id = invoice.project.main_contact_id
    if main_id and main_id in batch.contacts:
        return batch.contacts[main_id]
    return batch.primary_contacts.get(invoice.billing_account_id)


def choose_bank_account(bank_accounts, currency: str) -> BankAccount | None:
    """The active account in `currency`, else the active default, else none."""
    active = [bank for bank in bank_accounts if bank.is_active]
    for bank in active:
        if bank.currency == currency:
            return bank
    return next((bank for bank in active if bank.is_default), None)


def payment_details(bank: BankAccount | None, tenant, currency: str) -> dict:
    if bank is None:
        return {}
    return {
        "bank_name": bank.bank_name,
        "account_holder": bank.account_holder or tenant.name,
        "iban": bank.iban,
        "bic": bank.bic,
        "account_number": bank.account_number,
        "sort_code": bank.sort_code,
        "currency": bank.currency or currency,
    }
