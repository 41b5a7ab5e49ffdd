"""Tenant isolation plumbing.

Every tenant-owned model inherits `TenantOwned`: a non-null `tenant` foreign key and a default
manager built on django-scopes. Inside `activate(tenant)` its queries are filtered to that tenant;
outside any scope every query that would reach the database raises `ScopeError`.

django-scopes guards the common query methods but lets `.exists()`, `.explain()`, `.contains()`,
`.in_bulk()` and use as a subquery through unscoped; `ScopeRequiredQuerySet` closes those, and
keeps chaining (`.all()`, `.filter()`) lazy so that forms and filter sets may build querysets at
import time, as long as they are evaluated inside a scope.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING

import django_scopes
from django.core.signals import setting_changed
from django.db import models
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django_scopes import ScopedManager, scope
from django_scopes.exceptions import ScopeError
from django_scopes.manager import DisabledQuerySet

from accounts.platform import rls

if TYPE_CHECKING:
    from accounts.platform.models import Tenant  # import cycle: models build on TenantOwned

__all__ = [
    "ScopeError",
    "TenantOwned",
    "activate",
    "current_tenant",
    "iterate_in",
    "scopes_disabled",
    "tenant_reverse",
]

_current_tenant: ContextVar[Tenant | None] = ContextVar("current_tenant", default=None)


class ScopeRequiredQuerySet(models.QuerySet):
    """The queryset a scoped manager hands out when no tenant scope is active."""

    def __init__(self, *args, missing_scopes=None, **kwargs):
        self.missing_scopes = missing_scopes or {"tenant"}
        super().__init__(*args, **kwargs)

    def _clone(self):
        clone = super()._clone()
        clone.missing_scopes = self.missing_scopes
        return clone

    def _refuse(self, *args, **kwargs):
        raise ScopeError(
            f"A scope on {', '.join(sorted(self.missing_scopes))} must be active to query "
            f"{self.model.__name__}: wrap the code in accounts.platform.tenancy.activate(tenant)."
        )

    # Every path that sends SQL: evaluation, aggregates, writes, and use inside another query.
    _fetch_all = _refuse
    iterator = _refuse
    aiterator = _refuse
    count = _refuse
    aggregate = _refuse
    exists = _refuse
    explain = _refuse
    contains = _refuse
    in_bulk = _refuse
    update = _refuse
    _update = _refuse
    delete = _refuse
    _raw_delete = _refuse
    raw = _refuse
    get_or_create = _refuse
    update_or_create = _refuse
    bulk_update = _refuse
    select_for_update = _refuse
    resolve_expression = _refuse
    __bool__ = _refuse
    __len__ = _refuse


class _ScopedBase(ScopedManager(tenant="tenant").__class__):
    def get_queryset(self):
        queryset = super().get_queryset()
        if isinstance(queryset, DisabledQuerySet):
            return ScopeRequiredQuerySet(
                self.model, using=self._db, missing_scopes=queryset.missing_scopes
            )
        return queryset

    def all(self):
        return self.get_queryset()


class TenantManager(_ScopedBase):
    """Default manager of every tenant-owned model (see module docstring)."""


class TenantOwned(models.Model):
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.PROTECT, related_name="+")

    objects = TenantManager()

    class Meta:
        abstract = True

    def same_tenant(self, *others) -> bool:
        return all(other is None or other.tenant_id == self.tenant_id for other in others)

    def validate_constraints(self, exclude=None):
        """A constraint's error on the field it is about (accounts.platform.constraints)."""
        from accounts.platform.constraints import validate_constraints

        validate_constraints(self, exclude=exclude)


@contextlib.contextmanager
def activate(tenant: Tenant):
    """Run the block as `tenant`: scoped queries see only its rows, and on PostgreSQL so does any
    SQL at all (row-level security, accounts.platform.rls)."""
    token = _current_tenant.set(tenant)
    try:
        with scope(tenant=tenant.pk), rls.tenant(tenant.pk):
            yield tenant
    finally:
        _current_tenant.reset(token)


@contextlib.contextmanager
def scopes_disabled():
    """Deliberate cross-tenant work (memberships, the superuser's admin): no ORM scope and, on
    PostgreSQL, no row-level security either. Use this one, not django-scopes' own."""
    with django_scopes.scopes_disabled(), rls.bypass():
        yield


def iterate_in(tenant: Tenant, iterable: Iterable) -> Iterator:
    """Iterate inside `tenant`'s scope: for a streamed response, which the server reads after
    the middleware's scope has closed."""
    with activate(tenant):
        yield from iterable


def current_tenant() -> Tenant | None:
    return _current_tenant.get()


def scope_key() -> tuple | None:
    """The active ORM scope as a hashable key, for what is built or compiled under it and kept
    (`accounts.platform.built_once`, `accounts.platform.compiled_once`); None when it cannot be
    a key (django-scopes allows a list of tenants)."""
    key = tuple(sorted(django_scopes.get_scope().items()))
    try:
        hash(key)
    except TypeError:
        return None
    return key


def tenant_reverse(viewname: str, *, tenant_id: int | None = None, kwargs=None) -> str:
    """`reverse()` for a tenant URL; the slug comes from the active tenant when it matches."""
    from accounts.platform.models import Tenant  # import cycle: models build on TenantOwned

    tenant = current_tenant()
    if tenant is None or (tenant_id is not None and tenant.pk != tenant_id):
        tenant = Tenant.objects.get(pk=tenant_id)
    return tenant_url(viewname, tenant.slug, kwargs or {})


def tenant_url(viewname: str, slug: str, kwargs: dict) -> str:
    """`reverse(viewname, kwargs={"tenant_slug": slug, **kwargs})`, remembered: a page links to
    the same views over and over (the menu's two dozen links, a row's page on every row, a
    project's tabs), and `reverse()` cost about 55 µs a link (issue 18). A URL with no other
    argument is kept whole; one with a single whole-number argument (`pk`, `project_pk`),
    beside any text arguments (`tab`), is kept as the text around that number for those texts.
    Anything else goes through `reverse()`."""
    where = (get_script_prefix(), get_urlconf())
    if not kwargs:
        return _static_url(viewname, slug, *where)
    numbers = [name for name, value in kwargs.items() if type(value) is int]
    if len(numbers) == 1 and kwargs[numbers[0]] >= 0:
        texts = tuple(sorted((k, v) for k, v in kwargs.items() if k != numbers[0]))
        if all(type(value) is str for _name, value in texts):
            around = _around_number(viewname, slug, numbers[0], texts, *where)
            if around is not None:
                return f"{around[0]}{kwargs[numbers[0]]}{around[1]}"
    return reverse(viewname, kwargs={"tenant_slug": slug, **kwargs})


_SENTINEL = 918273645


@functools.lru_cache(maxsize=4096)
def _static_url(viewname: str, slug: str, _prefix: str, _urlconf) -> str:
    # The arguments after the slug are the cache's key: what else reverse() depends on.
    return reverse(viewname, kwargs={"tenant_slug": slug})


@functools.lru_cache(maxsize=4096)
def _around_number(viewname: str, slug: str, name: str, texts: tuple, _prefix: str, _urlconf):
    """What `reverse()` writes before and after the number, found once per view, company, text
    arguments and URL configuration; None when its place is not plain (the sentinel missing or
    twice)."""
    try:
        url = reverse(viewname, kwargs={"tenant_slug": slug, name: _SENTINEL, **dict(texts)})
    except NoReverseMatch:
        return None  # a converter that refuses the sentinel: reverse() each time instead
    before, found, after = url.partition(str(_SENTINEL))
    if not found or str(_SENTINEL) in after:
        return None
    return before, after


def _forget_urls(*, setting: str, **_kwargs) -> None:
    if setting == "ROOT_URLCONF":  # tests that swap the URLs; reverse()'s caches go too
        _static_url.cache_clear()
        _around_number.cache_clear()


setting_changed.connect(_forget_urls)
