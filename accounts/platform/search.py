"""One search box for the whole company: each app registers what it can find (a `SearchProvider`
in `search_providers`, from its `AppConfig.ready()`), the search page asks every provider the
user may see and shows the hits grouped by kind.

`text_filter` is the one matching rule: every word of the query must appear in one of the fields
(case-insensitive, in any order: "jones meridian" finds Alex Jones of Meridian Health). On
PostgreSQL a full-text match of the whole query (`websearch` syntax, the `simple` configuration:
no stemming, so names and numbers stay as typed) is accepted as well.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from accounts.platform.registry import Registry

MAX_QUERY = 100  # characters of a query looked at
MAX_WORDS = 6


@dataclass(frozen=True)
class SearchHit:
    title: str
    url: str
    detail: str = ""


@dataclass(frozen=True)
class SearchResult:
    hits: list[SearchHit]
    total: int  # every match, of which `hits` are the first
    more_url: str = ""  # a list page filtered to the query, when one exists


@dataclass(frozen=True)
class SearchProvider:
    key: str
    label: str  # "Accounts", "Contacts and learners"
    order: int
    # (request, query, limit) -> the first `limit` hits and how many there are
    find: Callable[[HttpRequest, str, int], SearchResult]
    icon: str = "bi-search"
    permission: str | None = None  # a permission the kind needs (e.g. SEE_MONEY for invoices)


search_providers: Registry[SearchProvider] = Registry("search providers")


def words(query: str) -> list[str]:
    return query[:MAX_QUERY].split()[:MAX_WORDS]


def text_filter(
    queryset: QuerySet, query: str, fields: Sequence[str], also: Q | None = None
) -> QuerySet:
    """`queryset` narrowed to rows where every word of `query` is in one of `fields` (or that
    match `also`, e.g. a number typed as it is)."""
    terms = words(query)
    if not terms:
        return queryset.none()
    condition = Q()
    for term in terms:
        condition &= _any_field(term, fields)
    if also is not None:
        condition |= also
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchVector

        vector = SearchVector(*fields, config="simple")
        matched = queryset.annotate(_search=vector).filter(
            condition
            | Q(_search=SearchQuery(query[:MAX_QUERY], search_type="websearch", config="simple"))
        )
        return matched
    return queryset.filter(condition)


def _any_field(term: str, fields: Iterable[str]) -> Q:
    condition = Q()
    for field in fields:
        condition |= Q(**{f"{field}__icontains": term})
    return condition


def first_hits(
    queryset: QuerySet, limit: int, hit: Callable[[object], SearchHit], more_url: str = ""
) -> SearchResult:
    """The first `limit` rows as hits, and the count of all (two queries)."""
    rows = list(queryset[:limit])
    total = len(rows) if len(rows) < limit else queryset.count()
    return SearchResult(hits=[hit(row) for row in rows], total=total, more_url=more_url)
