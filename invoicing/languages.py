"""The language an invoice or credit note is written in (issue 17).

Issuing freezes the billing account's language (its own, else the company's) into the
document's snapshot (`buyer_details["language"]`), and the PDF, the e-mail and any re-render use
that one. A draft follows the billing account as it is now. A document issued before languages
existed has none frozen: it was printed in English, so it stays English.
"""

from django.utils import translation

from accounts.platform.languages import DEFAULT_LANGUAGE, account_language, supported


def document_language(invoice) -> str:
    frozen = (invoice.buyer_details or {}).get("language")
    if frozen:
        return supported(frozen)
    if not invoice.is_draft:
        return DEFAULT_LANGUAGE
    return account_language(invoice.billing_account, invoice.tenant)


def in_document_language(invoice):
    """`with in_document_language(invoice): ...` renders in the document's language."""
    return translation.override(document_language(invoice))
