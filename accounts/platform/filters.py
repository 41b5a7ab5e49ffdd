"""Filter-bar plumbing every list uses: a free-text search over several fields."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


def search(*fields):
    def method(queryset, name, value):
        condition = Q()
        for field in fields:
            condition |= Q(**{f"{field}__icontains": value.strip()})
        return queryset.filter(condition) if value.strip() else queryset

    return django_filters.CharFilter(
        method=lambda qs, name, value: method(qs, name, value),
        label=_("Search"),
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Search…")}),
    )
