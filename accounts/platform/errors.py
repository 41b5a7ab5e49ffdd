"""What a user is told when something fails that a form did not catch: what to change, never the
exception's text.

Forms bound every number to its column (`accounts.platform.bounds`) and services refuse what
they cannot do with a ValidationError, so a database or decimal error reaching a view is a gap.
`FriendlyErrorMiddleware` turns it into a page that says what to change (a number too large, a
text too long or holding a character that cannot be stored; a conflict with a change saved
meanwhile), logs the exception with a short reference the user can quote, and answers 400 or 409
instead of a 500. Anything else is left to Django's 500 page, which shows no exception text
either.

`log_unexpected()` logs the exception being handled under a new reference, and
`stopped_message(reference)` is the generic text a background job shows for it.
"""

import decimal
import logging
import secrets

from django.db import DataError, IntegrityError
from django.http import HttpResponse
from django.template.loader import render_to_string

logger = logging.getLogger("accounts.platform.errors")

DATA_MESSAGE = (
    "That could not be saved: a number is larger than the field takes or has too many "
    "decimals, or a text is too long or holds a character that cannot be stored (such as an "
    "invisible control character). Correct the figures and texts you entered and try again."
)
CONFLICT_MESSAGE = (
    "That conflicts with something saved meanwhile (a duplicate, or a row that someone else "
    "has just changed or used): reload the page, check it and try again."
)


def log_unexpected(message: str = "Unexpected error", *args, error=None) -> str:
    """Log the exception being handled (or `error`), with its traceback, under a new short
    reference; return the reference, for the user to quote."""
    reference = secrets.token_hex(4)
    logger.error(f"{message} [reference %s]", *args, reference, exc_info=error if error else True)
    return reference


def stopped_message(reference: str) -> str:
    return (
        f"Stopped: an unexpected error; the details are in the server log (reference {reference})."
    )


def explain(error: BaseException) -> tuple[str, int] | None:
    """The message and HTTP status for an error the user can do something about, or None."""
    if isinstance(error, IntegrityError):
        return CONFLICT_MESSAGE, 409
    if isinstance(error, DataError | decimal.DecimalException | OverflowError):
        return DATA_MESSAGE, 400
    return None


class FriendlyErrorMiddleware:
    """Database and decimal errors become a message that says what to change (see above)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        explained = explain(exception)
        if explained is None:
            return None
        message, status = explained
        reference = log_unexpected("%s %s answered %s", request.method, request.path, status)
        htmx = getattr(request, "htmx", None)
        template = "includes/problem.html" if htmx else "problem.html"
        context = {"message": message, "reference": reference}
        try:
            content = render_to_string(template, context, request=request)
        except Exception:  # the page must not fail in its turn (e.g. a broken transaction)
            logger.exception("The problem page could not be rendered [reference %s]", reference)
            content = f"{message} (Reference {reference}.)"
            return HttpResponse(content, status=status, content_type="text/plain; charset=utf-8")
        # htmx swaps only 2xx answers: the message replaces the form it was sent from.
        return HttpResponse(content, status=200 if htmx else status)
