"""Hot tables write their header and pager in Python (`RowsInOnePass`): the same links, labels
and classes as django-tables2's template, for any page and any other parameters kept."""

import re

import django_tables2 as tables
import pytest
from django.template.loader import get_template
from django.test import RequestFactory
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy
from django_tables2 import RequestConfig
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.platform.fast_tables import RowsInOnePass, escaped
from accounts.platform.tables import SelectRowColumn


class Row:
    def __init__(self, pk):
        self.pk, self.name, self.city = pk, f"Name <{pk}>", "Köln & Bonn"


class Fast(RowsInOnePass, tables.Table):
    selected = SelectRowColumn(name="selected", form="bulk", label=lambda row: row.name)
    name = tables.Column(verbose_name="Name & title")
    city = tables.Column(orderable=False, attrs={"th": {"class": "text-end"}})

    def cell_selected(self, record):
        return self.base_columns["selected"].checkbox(record)

    def cell_name(self, record):
        return record.name

    def cell_city(self, record):
        return record.city


def squeeze(html: str) -> str:
    """Whitespace beside a tag is not shown (a cell's text is trimmed)."""
    return re.sub(r"\s*(<|>)\s*", r"\1", re.sub(r"\s+", " ", html)).strip()


def part(html: str, tag: str) -> str:
    match = re.search(rf"<{tag}\b.*?</{tag}>", html, re.S)
    return squeeze(match.group(0)) if match else ""


def rendered(query: str, count: int, template: str | None = None) -> str:
    request = RequestFactory().get("/alpha/list/" + query)
    table = Fast([Row(n) for n in range(count)])
    RequestConfig(request, paginate={"per_page": 10}).configure(table)
    name = template or table.template_name
    return get_template(name).render({"table": table, "request": request}, request)


@pytest.mark.parametrize(
    "query",
    [
        *("", "?page=2", "?page=14&sort=-name", "?page=30"),
        "?q=caf%C3%A9&status=open&status=paid&page=7",
    ],
)
@pytest.mark.parametrize("count", [5, 35, 300])
def test_the_header_and_pager_are_django_tables2s(query, count):
    ours = rendered(query, count)
    theirs = rendered(query, count, template="django_tables2/bootstrap5-responsive.html")
    assert part(ours, "thead") == part(theirs, "thead")
    assert part(ours, "nav") == part(theirs, "nav")
    if count > 10:
        assert 'class="pagination' in ours
    assert 'href="?' in part(ours, "thead")  # the name column sorts; the city column does not


@settings(max_examples=200, deadline=None)
@given(
    value=st.one_of(
        st.text(),
        st.integers(),
        st.decimals(allow_nan=False),
        st.none(),
        st.builds(mark_safe, st.text()),
        st.builds(lambda text: gettext_lazy(text), st.text(max_size=5)),
    )
)
def test_cells_are_escaped_as_django_escapes(value):
    assert escaped(value) == conditional_escape(value)
