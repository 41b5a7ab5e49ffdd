"""Hot lists' tables written in Python: django-tables2 keeps the columns, sorting and paging;
the markup of the header, the rows and the pager is joined here instead of rendered cell by
cell through templates (issue 18). `tests/accounts/test_fast_tables.py` compares the header and
the pager with django-tables2's own template."""

import functools
import html

from django.db.models import QuerySet, prefetch_related_objects
from django.utils.formats import localize
from django.utils.functional import Promise
from django.utils.html import conditional_escape, escape, format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext
from django_tables2.templatetags.django_tables2 import table_page_range
from django_tables2.utils import AttributeDict

PARITY = ("even", "odd")  # the row classes django-tables2 gives


def yes_no(value) -> str:
    """A `BooleanColumn`'s cell, for `cell_*` methods."""
    return mark_safe('<span class="true">✔</span>' if value else '<span class="false">✘</span>')


def escaped(value) -> str:
    """Django's `conditional_escape()`, without the lazy-string check it wraps every call in
    (`keep_lazy`): a list page escapes about 300 cells (issue 18)."""
    if isinstance(value, Promise):
        value = str(value)
    as_html = getattr(value, "__html__", None)
    return as_html() if as_html is not None else html.escape(str(value))


def safe_format(template: str, *args) -> SafeString:
    """`format_html()` for hot cells: each argument escaped the same way, without the lazy-string
    checks Django wraps around every escape (about 20 µs a call against 4; a page of 25 rows
    formats a few hundred cells, issue 18)."""
    return SafeString(template.format(*map(escaped, args)))


@functools.lru_cache(maxsize=256)
def _translated(text: str, _language) -> str:
    return gettext(text)  # called in `_language` (the key)


def translated(text: str) -> str:
    """`gettext(text)`, remembered per language: a cell that says the same words on every row
    (a checkbox's "Select {}") looked them up through the catalogue chain each time (16 µs)."""
    return _translated(text, get_language())


class RowsInOnePass:
    """A django-tables2 table whose header, rows and pager are written in Python.

    django-tables2 renders each cell through accessors, `render_*` dispatch and the template
    engine (about 1.5 to 2.5 ms per row, most of a list page), and each sort and page link
    through a template tag. A table with this mixin keeps django-tables2 for its columns,
    sorting and paging, and renders each row's cells with its `cell_<column>(record)` methods,
    which return text (escaped here) or safe HTML built with `format_html`. Hidden and excluded
    columns are left out as usual.

    `row_fields` names every field the cells read (`QuerySet.only()`; annotations always come):
    a page then fetches the dozen columns it shows instead of every column of three tables, a
    hundred on the invoice list, each compiled into the query and read into a model (issue 18).
    A field left out is fetched by a query per row: the pinned query counts catch that.

    `fetched_when_set` names foreign keys (set on few rows) whose objects the cells show: one
    query fetches them for the page's rows that have one, and none runs when no row has one.
    (`prefetch_related()` on the queryset compiled the query even then, to run nothing.)
    """

    row_fields: tuple[str, ...] = ()
    fetched_when_set: tuple[str, ...] = ()

    def __init__(self, data=None, *args, template_name=None, **kwargs):
        if self.row_fields and isinstance(data, QuerySet):
            # A related manager's queryset (`run.invoices`) gives each row its owner, reading
            # the row's key for it: a key left out was a query per row (200 on a run's page).
            owners = (field.name for field in data._known_related_objects)
            data = data.only("tenant", *owners, *self.row_fields)
        super().__init__(
            data,
            *args,
            template_name=template_name or "includes/table_rows_in_one_pass.html",
            **kwargs,
        )

    def rows_html(self):
        columns = [
            (getattr(self, f"cell_{column.name}"), column.attrs["td"].as_html())
            for column in self.columns
        ]
        rows = self.page.object_list if getattr(self, "page", None) else self.rows
        records = [row.record for row in rows]
        for name in self.fetched_when_set:
            key = self._meta.model._meta.get_field(name).attname
            prefetch_related_objects([r for r in records if getattr(r, key) is not None], name)
        html = [
            f'<tr class="{PARITY[number % 2]}">'
            + "".join(f"<td {attrs}>{escaped(cell(record))}</td>" for cell, attrs in columns)
            + "</tr>"
            for number, record in enumerate(records)
        ]
        if not html and self.empty_text:
            html.append(
                format_html('<tr><td colspan="{}">{}</td></tr>', len(columns), self.empty_text)
            )
        return mark_safe("".join(html))

    def link_to(self, parameter: str, value) -> str:
        """This page's address with `parameter` set to `value`, the other parameters kept:
        django-tables2's `{% querystring_replace %}`."""
        request = getattr(self, "request", None)
        parameters = dict(request.GET) if request is not None else {}
        parameters[parameter] = value
        return escape("?" + urlencode(parameters, doseq=True))

    def thead_html(self):
        if not self.show_header:
            return ""
        cells = []
        for column in self.columns:
            header = conditional_escape(column.header)
            if column.orderable:
                href = self.link_to(self.prefixed_order_by_field, column.order_by_alias.next)
                header = f'<a href="{href}">{header}</a>'
            cells.append(f'<th {column.attrs["th"].as_html()} scope="col">{header}</th>')
        attrs = AttributeDict(self.attrs.get("thead") or {}).as_html()
        return mark_safe(f"<thead {attrs}><tr>{''.join(cells)}</tr></thead>")

    def pagination_html(self):
        page = getattr(self, "page", None)
        if not page or self.paginator.num_pages <= 1:
            return ""
        field = self.prefixed_page_field
        items = []
        if page.has_previous():
            items.append(
                '<li class="previous page-item">'
                f'<a href="{self.link_to(field, page.previous_page_number())}" class="page-link">'
                f'<span aria-hidden="true">&laquo;</span> {escape(gettext("previous"))}</a></li>'
            )
        if page.has_previous() or page.has_next():
            for number in table_page_range(page, self.paginator):
                active = " active" if page.number == number else ""
                href = "" if number == "..." else f' href="{self.link_to(field, number)}"'
                items.append(
                    f'<li class="page-item{active}">'
                    f'<a class="page-link"{href}>{escape(localize(number))}</a></li>'
                )
        if page.has_next():
            items.append(
                '<li class="next page-item">'
                f'<a href="{self.link_to(field, page.next_page_number())}" class="page-link">'
                f'{escape(gettext("next"))} <span aria-hidden="true">&raquo;</span></a></li>'
            )
        return mark_safe(
            '<nav aria-label="Table navigation"><ul class="pagination justify-content-center">'
            f"{''.join(items)}</ul></nav>"
        )
