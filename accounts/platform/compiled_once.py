"""Reads whose SQL is compiled once per shape, not on every request (issue 18).

Django turns a queryset into SQL each time it is evaluated. For the few reads every page makes
the same way, that compilation costs more than the database's answer (a prepared statement with
a generic plan): the project page's read of the project with its customer, billing account,
contact, region and manager took 2.5 ms to compile on this machine, the signed-in user's
memberships (read by every company page) 1.2 ms, together a sixth of the project page. SQLAlchemy
keeps compiled statements for the same reason (its compiled cache, formerly "baked queries");
Django has nothing like it, so this module does it for the reads that name it.

    @compiled_once(slots=("pk",))
    def project(*, pk, header_only):
        return Project.objects.filter(pk=pk)...

    rows = project(pk=26, header_only=False)   # a list of model instances

The decorated function builds a queryset. Its `slots` are the ids that change from call to call
(a pk, a user's id); its other arguments (the shape: flags, a role) and the ORM scope
(`tenancy.scope_key()`: a scoped manager writes the tenant's filter into the queryset) are the
key of what is kept, so each must be hashable and everything the builder reads must be one of
them. The first call for a key compiles the builder twice, with two sets of stand-in ids
(negative numbers no sequence hands out), and keeps the statement only when the two differ in
nothing but the stand-ins, each where its slot's stand-in sat among the parameters; a builder
that does arithmetic with an id is caught there and compiled afresh on every call, as Django
would. A builder must never branch on an id's value (both stand-ins are negative, so a branch
would be taken the same way for every id). Later calls put their ids in those places and run
the statement, and Django builds the rows as usual (select_related objects, deferred
fields, annotations). A read used in ways a list cannot serve (paginated, narrowed further by a
caller) does not belong here: narrowing a kept statement is not possible.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.sql.compiler import SQLCompiler
from django.http import Http404

from accounts.platform.tenancy import scope_key

__all__ = ["compiled_once", "first_or_404"]

# Ids no sequence hands out, within every integer column's range (Django refuses a value beyond
# a column's range before it reaches the SQL), and unlike any constant a builder writes.
_STAND_INS = (-2_061_000_001, -2_063_000_003)
_SPACING = 7_919
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1


@dataclass(frozen=True)
class _Kept:
    """A compiled statement and where each slot's id goes among its parameters."""

    queryset: QuerySet
    compiler: SQLCompiler
    sql: str
    params: tuple
    places: tuple[tuple[int, str], ...]  # (position among the parameters, slot)

    def rows(self, ids: dict[str, int]) -> list[Model]:
        params = list(self.params)
        for position, slot in self.places:
            params[position] = ids[slot]
        statement = (self.sql, tuple(params))
        # The first compile's select and row layout, to build the rows as Django would.
        compiler = copy.copy(self.compiler)
        compiler.connection = connections[self.queryset.db]  # this thread's connection
        compiler.as_sql = lambda *args, **kwargs: statement
        queryset = self.queryset._chain()  # a result cache of its own
        queryset.query.get_compiler = lambda *args, **kwargs: compiler
        return list(queryset)


def _fits(value) -> bool:
    """An id any integer column can be compared with. Others (a 20-digit number in a URL) are
    compiled afresh, so Django decides what they match, as it would without this module."""
    return type(value) is int and _INT_MIN <= value <= _INT_MAX


def _stand_ins(slots: tuple[str, ...], base: int) -> dict[str, int]:
    return {slot: base - index * _SPACING for index, slot in enumerate(slots)}


def _compiled(queryset: QuerySet) -> tuple[SQLCompiler, str, tuple] | None:
    compiler = queryset.query.get_compiler(using=queryset.db)
    try:
        sql, params = compiler.as_sql()
    except (EmptyResultSet, FullResultSet):  # nothing to keep: Django answers these itself
        return None
    return compiler, sql, tuple(params)


def _keep(build: Callable[..., QuerySet], shape: dict, slots: tuple[str, ...]) -> _Kept | None:
    """Compile `build` with two sets of stand-ins; keep the statement when the two differ only
    by the stand-ins, each where its slot's stand-in sat."""
    first_ids, second_ids = (_stand_ins(slots, base) for base in _STAND_INS)
    first_set = build(**shape, **first_ids)
    first, second = _compiled(first_set), _compiled(build(**shape, **second_ids))
    if first is None or second is None:
        return None
    (compiler, sql, params), (_, other_sql, other_params) = first, second
    if sql != other_sql or len(params) != len(other_params):
        return None
    slot_of = {value: slot for slot, value in first_ids.items()}
    stand_ins = {*first_ids.values(), *second_ids.values()}
    places = []
    for position, (value, other) in enumerate(zip(params, other_params, strict=True)):
        if type(value) is not int or type(other) is not int:
            if value != other:
                return None  # something other than the ids changed: not a fixed shape
            continue
        if value == other:
            if value in stand_ins:
                return None  # a stand-in the other compile did not match with its own
            continue
        slot = slot_of.get(value)
        if slot is None or other != second_ids[slot]:
            return None  # an id changed into something else (arithmetic on it)
        places.append((position, slot))
    return _Kept(first_set, compiler, sql, params, tuple(places))


def compiled_once(*, slots: tuple[str, ...], maxsize: int = 64):
    """`build(**shape, **ids)` compiled once per scope and shape (`maxsize` kept); each call
    returns the rows (a list) for its ids. See the module's docstring for the contract."""

    def decorator(build: Callable[..., QuerySet]):
        @functools.lru_cache(maxsize=maxsize)
        def kept(_scope: tuple, shape: tuple) -> _Kept | None:
            return _keep(build, dict(shape), slots)

        @functools.wraps(build)
        def read(**arguments) -> list[Model]:
            ids = {slot: arguments.pop(slot) for slot in slots}
            scope = scope_key()
            statement = None
            if scope is not None and all(_fits(value) for value in ids.values()):
                statement = kept(scope, tuple(sorted(arguments.items())))
            if statement is None:
                return list(build(**arguments, **ids))
            return statement.rows(ids)

        read.cache_clear = kept.cache_clear
        read.cache_info = kept.cache_info
        return read

    return decorator


def first_or_404(rows: list[Model], message: str) -> Model:
    """`get_object_or_404` for a compiled read's rows: the first, or 404 with `message`."""
    if not rows:
        raise Http404(message)
    return rows[0]
