"""The languages the app speaks (settings.LANGUAGES) and which one a document is written in.

A company has a language (its pages, and its customers' documents by default); a customer
account may have its own, which its invoices, credit notes, statements and reminder e-mails use
(issue 17). An issued document keeps the language it was issued in (its frozen snapshot), so a
re-render never changes it.
"""

import functools

from babel import Locale, UnknownLocaleError
from django.conf import settings
from django.utils import translation

DEFAULT_LANGUAGE = settings.LANGUAGE_CODE


def language_choices() -> list[tuple[str, str]]:
    return list(settings.LANGUAGES)


def supported(code: str | None) -> str:
    """`code` when the app speaks it, else the default language."""
    codes = {code for code, _name in settings.LANGUAGES}
    return code if code in codes else DEFAULT_LANGUAGE


def account_language(account, tenant=None) -> str:
    """The language of documents for `account`: its own, else its company's."""
    own = getattr(account, "language", "") if account is not None else ""
    if own:
        return supported(own)
    company = tenant if tenant is not None else getattr(account, "tenant", None)
    return supported(getattr(company, "language", "") or DEFAULT_LANGUAGE)


def babel_locale_name(language: str | None = None) -> str:
    """Babel's name of the active (or the given) language: "en-gb" → "en_GB", "de" → "de"."""
    return translation.to_locale(language or translation.get_language() or DEFAULT_LANGUAGE)


@functools.cache
def babel_locale(name: str) -> Locale:
    """A parsed Babel locale, once per name (parsing costs more than formatting)."""
    try:
        return Locale.parse(name)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(translation.to_locale(DEFAULT_LANGUAGE))
