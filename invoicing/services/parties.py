"""The parties of an invoice, frozen at issue: the seller (the company), the buyer (the billing
account) and the bank account to pay into.

The text fields (`seller_address`, `billing_address`, …) are what the PDF prints; the
`*_details` JSON fields hold the same facts field by field for the e-invoices (UBL, CII):

    seller_details = {name, street_lines: [..], postal_code, city, country_area, country (ISO
        alpha-2), country_name, vat_id, registration_number, register, contact_name, email,
        phone, endpoint: {scheme, id}}
    buyer_details = {name, street_lines, postal_code, city, country_area, country,
        country_name, vat_id, account_number, contact_name, contact_email, email,
        endpoint: {scheme, id}}
    payment_details = {bank_name, account_holder, iban, bic, account_number, sort_code,
        currency} or {} when the company has no bank account for the invoice.
"""

from __future__ import annotations

from invoicing.models import Invoice


def freeze(invoice: Invoice, tenant) -> None:
    account = invoice.billing_account
    invoice.seller_name = tenant.name
    invoice.seller_address = tenant.address
    invoice.seller_vat_number = tenant.vat_number
    invoice.billing_name = account.name
    invoice.billing_account_number = account.number
    invoice.billing_address = "\n".join(
        part
        for part in (
            account.address,
            f"{account.postal_code} {account.city}".strip(),
            account.country,
        )
        if part
    )
    invoice.billing_tax_id = account.tax_id
    invoice.customer_name = invoice.project.account.name
    invoice.customer_number = invoice.project.account.number
    invoice.project_code = invoice.project.code
    invoice.payment_terms_days = tenant.payment_terms_days
