"""Every irreversible action asks once, saying what will happen (DESIGN.md, "Interface").

The page's form posts as it always did. The view, before it acts, answers `ask(...)` unless the
POST says `confirmed=1`: a page rendered on the server (so it works without JavaScript and by
keyboard) that says what will happen, with the numbers and amounts, and posts the very same
fields again with `confirmed=1`; *Cancel* goes back without doing anything. Nothing happens
until that second POST, so a test can check both halves: the question's text, and that the
first POST changed nothing.

    if not confirm.confirmed(request):
        return confirm.ask(request, title="Issue the invoice", question=..., button="Issue",
                           cancel_url=invoice.get_absolute_url(), details=[...])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import render

T = TypeVar("T")
CONFIRMED = "confirmed"
# Fields never copied into the confirmation's form (the page puts in its own token).
_NOT_REPOSTED = {"csrfmiddlewaretoken", CONFIRMED}


def confirmed(request) -> bool:
    """Whether the user has seen the question and said yes."""
    return request.method == "POST" and request.POST.get(CONFIRMED) == "1"


def ask(
    request,
    *,
    title: str,
    question: str,
    button: str,
    cancel_url: str,
    details: Iterable[str] = (),
    warning: str = "",
    danger: bool = True,
) -> HttpResponse:
    """The confirmation page: `question` says what will happen (numbers and amounts), `details`
    lists what it touches, `warning` what cannot be undone; `button` names the action."""
    fields = [
        (name, value)
        for name in request.POST
        if name not in _NOT_REPOSTED
        for value in request.POST.getlist(name)
    ]
    return render(
        request,
        "includes/confirm.html",
        {
            "title": title,
            "question": question,
            "details": list(details),
            "warning": warning,
            "button": button,
            "danger": danger,
            "cancel_url": cancel_url,
            "action": request.get_full_path(),
            "fields": fields,
        },
    )


class _RolledBack(Exception):
    pass


def dry_run(call: Callable[[], T]) -> T:
    """What a service would do, to say it in the question: `call()` runs in a transaction that
    is always rolled back, so the question quotes the service's own figures (the number it
    would take, its totals) instead of working them out a second time; a `ValidationError`
    it raises comes out as it would for real. Work queued for after the commit is dropped with
    the rollback. The result is for reading only: its rows no longer exist."""
    outcome: list[T] = []
    try:
        with transaction.atomic():
            outcome.append(call())
            raise _RolledBack
    except _RolledBack:
        pass
    return outcome[0]
