from urllib.parse import urlencode

import django_filters
from django import forms
from django.db.models import Q
from django.shortcuts import render
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, AccountKind, Region
from accounts.platform.bounds import parse_id
from accounts.platform.tenancy import tenant_reverse

OPTIONS_LIMIT = 20  # matches an options endpoint answers with


def options_response(request, rows: list[tuple[int, str]], query: str):
    """An options URL's answer to a search box: the empty choice (the field's own words, sent as
    `?empty=`, else "Any" in the company's language), then `rows` as `(id, text)`."""
    empty = request.GET.get("empty") or gettext("Any")
    return render(
        request,
        "includes/options.html",
        {"rows": rows, "query": query.strip(), "empty": empty[:40]},
    )


def empty_label(choices) -> str:
    """What a searched field's empty choice says, in the active language: the field's own
    ("Any account") or "Any". Also sent to the options URL, which answers with it first."""
    return str(getattr(choices.field, "empty_label", None) or _("Any"))


class SearchSelect(forms.Select):
    """The widget of a filter over a large table (accounts, projects): never a `<select>` of
    every row (with 2,000 accounts that was 80 % of a list page's time).

    The select holds the empty choice and the chosen row only; the search box beside it asks
    `options_url_name` (a tenant URL answering `<option>`s, at most OPTIONS_LIMIT matches of
    `?q=`) and htmx puts the matches into the select. The search box belongs to no form
    (`form=""`): the filter's parameter stays the chosen row's id, as links and exports use it.
    """

    def __init__(self, options_url_name: str, *, search_label: str, extra: str = "", attrs=None):
        super().__init__(attrs)
        self.options_url_name = options_url_name
        self.search_label = search_label
        self.extra = extra  # more parameters of the options URL, e.g. "kind=organisation"

    def __deepcopy__(self, memo):
        copy = super().__deepcopy__(memo)
        copy.options_url_name, copy.search_label, copy.extra = (
            self.options_url_name,
            self.search_label,
            self.extra,
        )
        return copy

    def optgroups(self, name, value, attrs=None):
        iterator = self.choices
        ids = [parse_id(item) for item in value if parse_id(item)]
        chosen = list(iterator.queryset.filter(pk__in=ids)[:1]) if ids else []
        self.choices = [("", empty_label(iterator))] + [iterator.choice(row) for row in chosen]
        try:
            return super().optgroups(name, value, attrs)
        finally:
            self.choices = iterator

    def render(self, name, value, attrs=None, renderer=None):
        select = super().render(name, value, attrs, renderer)
        select_id = (attrs or {}).get("id") or self.attrs.get("id") or f"id_{name}"
        url = tenant_reverse(self.options_url_name)
        empty = empty_label(self.choices)
        query = urlencode({"empty": empty}) + (f"&{self.extra}" if self.extra else "")
        return format_html(
            '{}<input type="search" name="q" form="" class="form-control form-control-sm mt-1" '
            'placeholder="{}…" aria-label="{}" autocomplete="off" hx-get="{}?{}" '
            'hx-trigger="input changed delay:300ms, search" hx-target="#{}" hx-swap="innerHTML">',
            select,
            self.search_label,
            self.search_label,
            url,
            query,
            select_id,
        )


class RemoteSearchSelect(SearchSelect):
    """A form's choice of an account or project (issue 17): as in the filters, the select holds
    the empty choice and the chosen row only, and typing searches the same options URL; the
    search box is tom-select's (static/js/search-select.js reads `data-options-url`)."""

    def __init__(self, options_url_name: str, *, extra: str = "", attrs=None):
        super().__init__(options_url_name, search_label="", extra=extra, attrs=attrs)

    def render(self, name, value, attrs=None, renderer=None):
        empty = empty_label(self.choices)
        query = urlencode({"empty": empty}) + (f"&{self.extra}" if self.extra else "")
        attrs = {
            **(attrs or {}),
            "data-options-url": f"{tenant_reverse(self.options_url_name)}?{query}",
            # What the empty box says (tom-select's placeholder), not Django's "---------".
            "data-placeholder": _("Type a few letters to search"),
            "data-clear-title": _("Clear"),
        }
        return forms.Select.render(self, name, value, attrs, renderer)


def search_remotely(field, options_url_name: str, extra: str = "") -> None:
    """Gives a form's account or project field the remote search: never an <option> per row."""
    widget = RemoteSearchSelect(options_url_name, extra=extra, attrs=field.widget.attrs)
    widget.is_required = field.required
    field.widget = widget
    widget.choices = field.choices


def account_options(queryset, query: str):
    """At most OPTIONS_LIMIT accounts matching a search box: name, or number."""
    query = query.strip()
    if not query:
        return queryset.none()
    condition = Q(name__icontains=query)
    if parse_id(query):
        condition |= Q(number=parse_id(query))
    return queryset.filter(condition).order_by("name", "pk")[:OPTIONS_LIMIT]


def contact_options(queryset, query: str):
    """At most OPTIONS_LIMIT contacts matching a search box: every word in a name or e-mail."""
    words = query.split()[:5]
    if not words:
        return queryset.none()
    for word in words:
        queryset = queryset.filter(
            Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(email__icontains=word)
        )
    return queryset.select_related("account").order_by("last_name", "first_name", "pk")[
        :OPTIONS_LIMIT
    ]


def _regions(request):
    return Region.objects.order_by("name")


def _parents(request):
    return Account.objects.filter(children__isnull=False).distinct().order_by("name")


class AccountFilter(django_filters.FilterSet):
    """Querysets of choice filters are callables: they are evaluated per request, in scope."""

    q = django_filters.CharFilter(
        method="search",
        label=_("Search"),
        widget=forms.TextInput(
            attrs={"placeholder": "Name, number, e-mail, city, tag…", "type": "search"}
        ),
    )
    kind = django_filters.ChoiceFilter(choices=AccountKind.choices, empty_label=_("Any kind"))
    region = django_filters.ModelChoiceFilter(queryset=_regions, empty_label=_("Any region"))
    parent = django_filters.ModelChoiceFilter(
        queryset=_parents,
        empty_label=_("Any group"),
        label=_("Parent"),
        widget=SearchSelect(
            "accounts:account-options", search_label=_("Find a group"), extra="parents=1"
        ),
    )
    is_active = django_filters.BooleanFilter(
        label=_("Status"),
        widget=forms.Select(
            choices=[("", "Active and inactive"), ("true", "Active"), ("false", "Inactive")]
        ),
    )

    class Meta:
        model = Account
        fields = ["q", "kind", "region", "parent", "is_active"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        condition = (
            Q(name__icontains=value)
            | Q(email__icontains=value)
            | Q(city__icontains=value)
            | Q(tags__icontains=value)
            | Q(tax_id__icontains=value)
        )
        if parse_id(value):
            condition |= Q(number=parse_id(value))
        return queryset.filter(condition)
