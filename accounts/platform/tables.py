"""Table columns every app's lists share."""

import functools

import django_tables2 as tables
from django.utils.formats import date_format
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext, gettext_lazy

from accounts.platform.access import can
from accounts.platform.fast_tables import safe_format, translated


class PermittedLinkColumn(tables.Column):
    """The record's page as a link for a role that may open it, plain text for any other role
    (issue 17: staff saw product codes as links to an edit page answering "Not allowed").

    `PermittedLinkColumn(permission=permissions.MANAGE_CATALOGUE)`; the table must know its
    request (django-tables2's `RequestConfig`, which `SingleTableMixin` applies). Without a
    request nothing is linked: a link is shown only when the role is known to be allowed."""

    def __init__(self, *args, permission: str, **kwargs):
        self.permission = permission
        super().__init__(*args, **kwargs)

    def render(self, value, record, table):
        request = getattr(table, "request", None)
        if request is not None and can(request, self.permission):
            return format_html('<a href="{}">{}</a>', record.get_absolute_url(), value)
        return value


def _hidden(text) -> str:
    return format_html('<span class="visually-hidden">{}</span>', text)


# Lazy, so that the header is translated per request, not once at import.
_hidden_lazy = lazy(_hidden, SafeString)


def hidden_header(text):
    """A header a screen reader reads and the eye does not see (an actions column: an empty
    `<th>` leaves the column unnamed, issue 17). `hidden_header(gettext_lazy("Actions"))`."""
    return _hidden_lazy(text)


SELECT_ALL = gettext_lazy("Select all")


class SelectRowColumn(tables.CheckBoxColumn):
    """The row-selection checkbox of a table with bulk actions, each box named after its row.

    `SelectRowColumn(name="selected", form="bulk-form", label=lambda r: str(r))`: every box gets
    `aria-label="Select <label>"` (31 unlabelled boxes before issue 17), the header's box selects
    all (`data-select-all`, static/js/app.js). A `RowsInOnePass` table renders its cell with
    `column.checkbox(record)`, the same markup."""

    def __init__(self, *, name: str, form: str, label, select_all=SELECT_ALL, **kw):
        self.input_name, self.form, self.label = name, form, label
        attrs = {
            "th__input": {"aria-label": select_all, "data-select-all": name, "form": form},
            "td__input": {"name": name, "form": form},
        }
        super().__init__(accessor="pk", attrs=attrs, orderable=False, **kw)

    def checkbox(self, record) -> str:
        return safe_format(
            '<input type="checkbox" name="{}" value="{}" form="{}" aria-label="{}">',
            self.input_name,
            record.pk,
            self.form,
            translated("Select {}").format(self.label(record)),
        )

    def render(self, value, bound_column, record):
        return self.checkbox(record)


def translate_automatic_headers() -> None:
    """Column headers django-tables2 makes from a model field's name ("start date" → "Start
    date") are plain strings that nothing marked; they are looked up in the catalogue when a
    table renders, in the request's language (issue 17), as the forms' automatic labels are
    (`BoundedFormMixin`). Explicit, lazy or safe headers are left as they are. Called once from
    the accounts app's `ready()`."""
    from django_tables2.columns.base import BoundColumn

    automatic = BoundColumn.verbose_name
    if getattr(automatic.fget, "translated", False):
        return

    def verbose_name(self):
        name = automatic.fget(self)
        return gettext(name) if type(name) is str else name

    verbose_name.translated = True
    BoundColumn.verbose_name = property(verbose_name)


def choice_label(record, field: str) -> str:
    """`record.get_<field>_display()`, remembered per model, field, value and language: Django
    builds a dict of the field's choices on every call, about 15 µs a cell (issue 18)."""
    return _choice_label(type(record), field, getattr(record, field), get_language())


@functools.lru_cache(maxsize=4096)
def _choice_label(model, field: str, value, _language) -> str:
    # Called in `_language` (the key): str() translates the label in it.
    return str(dict(model._meta.get_field(field).flatchoices).get(value, value))


def short_date(value) -> str:
    """What a `DateColumn` shows: the short date format of the active language, or a dash.
    Remembered per date and language: a list shows a few dates many times (issue 18)."""
    return _short_date(value, get_language()) if value else "—"


@functools.lru_cache(maxsize=4096)
def _short_date(value, _language) -> str:
    return date_format(value, "SHORT_DATE_FORMAT")
