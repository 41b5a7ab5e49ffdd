"""Querysets built once per tenant scope and copied for each use (issue 18).

A list's queryset with subqueries and conditional annotations (the invoice list's `with_state`,
the project list's ordered places and value) costs about a millisecond to build: `annotate()`
copies and resolves each expression against the query, on every request, to produce the same
queryset each time. `@built_once_per_scope` builds it on the first call for a scope and
arguments, and hands each caller a copy (`.all()`), which that caller may narrow, order and
slice without touching the kept one.

What the selector may depend on, and therefore what the key holds:

- the active ORM scope: a scoped manager writes the scope's tenant filter into the queryset
  it hands out (`accounts.platform.tenancy`), so the scope is part of the key;
- its arguments, which must be hashable: a selector that depends on the day takes the day as
  an argument (its caller passes `timezone.localdate()`), never reads the clock itself.

Nothing else: not the request, the user or the language. A scope that cannot be a key
(django-scopes allows a list of tenants) builds the queryset afresh.
"""

import functools

from django.db.models import QuerySet

from accounts.platform.tenancy import scope_key


def built_once_per_scope(selector):
    """`selector(**kwargs)` (a queryset) built once per scope and keyword arguments (64 kept),
    a copy handed to each caller."""

    @functools.lru_cache(maxsize=64)
    def built(_scope: tuple, kwargs: tuple) -> QuerySet:
        return selector(**dict(kwargs))

    @functools.wraps(selector)
    def copy(**kwargs) -> QuerySet:
        scope = scope_key()
        if scope is None:
            return selector(**kwargs)
        return built(scope, tuple(sorted(kwargs.items()))).all()

    copy.cache_clear = built.cache_clear
    return copy
