"""Remembered tenant URLs (`accounts.platform.tenancy.tenant_url`, issue 18) are exactly what
`reverse()` writes, for every tenant URL of the project that takes no argument or one number,
under another script prefix too, and for another company's slug."""

import pytest
from django.urls import (
    NoReverseMatch,
    URLPattern,
    URLResolver,
    clear_script_prefix,
    get_resolver,
    reverse,
    set_script_prefix,
)
from django.urls.converters import IntConverter

from accounts.platform.tenancy import tenant_url


def _named_patterns(patterns, namespace="", converters=None):
    """(view name, {argument: converter}) of every named URL, with its includes' arguments."""
    converters = converters or {}
    for entry in patterns:
        found = {**converters, **getattr(entry.pattern, "converters", {})}
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _named_patterns(entry.url_patterns, inner, found)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", found


def tenant_views():
    """(view name, its one number argument or None) for each tenant URL whose arguments are the
    company's slug and at most one whole number, whatever that number is called."""
    views = set()
    for name, converters in _named_patterns(get_resolver().url_patterns):
        if "tenant_slug" not in converters:
            continue
        others = {k: v for k, v in converters.items() if k != "tenant_slug"}
        numbers = [k for k, v in others.items() if isinstance(v, IntConverter)]
        if len(others) == len(numbers) <= 1:
            views.add((name, numbers[0] if numbers else None))
    return sorted(views, key=lambda view: (view[0], view[1] or ""))


VIEWS = tenant_views()


def test_the_project_has_tenant_urls_of_both_kinds():
    assert {number for _name, number in VIEWS} >= {None, "pk", "project_pk", "account_pk"}
    assert len(VIEWS) > 100


@pytest.mark.parametrize("slug", ["alpha", "bravo-training"])
@pytest.mark.parametrize("prefix", ["/", "/office/"])
def test_a_remembered_url_is_what_reverse_writes(slug, prefix):
    set_script_prefix(prefix)
    try:
        for name, number in VIEWS:
            for value in [None] if number is None else [0, 7, 123456789]:
                kwargs = {} if number is None else {number: value}
                expected = reverse(name, kwargs={"tenant_slug": slug, **kwargs})
                assert tenant_url(name, slug, kwargs) == expected, name
    finally:
        clear_script_prefix()
        set_script_prefix("/")


def test_a_number_beside_text_arguments_is_remembered_per_text():
    for tab in ("registrations", "events", "invoices"):
        for pk in (0, 5, 98765):
            expected = reverse(
                "projects:project-tab", kwargs={"tenant_slug": "alpha", "pk": pk, "tab": tab}
            )
            assert tenant_url("projects:project-tab", "alpha", {"pk": pk, "tab": tab}) == expected


def test_other_arguments_still_go_through_reverse():
    assert tenant_url("projects:project-detail", "alpha", {"pk": "12"}) == "/alpha/projects/12/"
    with pytest.raises(NoReverseMatch):
        tenant_url("projects:project-tab", "alpha", {"pk": 5, "tab": "not a slug"})
