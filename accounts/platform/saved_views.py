"""Saved list views (issue 17): a user's named filters and visible columns of one list.

One place for every list: `TenantListView` (and a project tab's table) call `choose_columns`
on their table and put `saved_views_context` in the page; the menu, save and delete views
(`accounts.views_saved`) call the services below. A saved view belongs to one user in one
company: nobody else lists, opens or deletes it.
"""

import re
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_tables2 import CheckBoxColumn

from accounts.platform.models import SavedView

COLUMNS = "columns"  # the query parameter naming the visible columns (repeated)
# Parameters of the page itself, never part of a saved view's filters.
NOT_SAVED = {"page", "export", COLUMNS, "saved"}
MAX_PER_LIST = 30
LIST_KEY = re.compile(r"^[a-z0-9_:-]{1,60}$")


def view_query(params) -> str:
    """The list's filters and sort order as a query string, without paging and columns."""
    kept = params.copy()
    for name in NOT_SAVED:
        kept.pop(name, None)
    return kept.urlencode()


def choosable_columns(table) -> list[tuple[str, str]]:
    """(name, label) of the columns a user may show or hide: every column the table shows by
    itself except the row-selection box (always there when the page has bulk actions)."""
    return [
        (column.name, strip_tags(str(column.header)).strip() or column.name)
        for column in table.columns.iterall()
        if column.visible and not isinstance(column.column, CheckBoxColumn)
    ]


def choose_columns(table, params) -> list[str]:
    """Hides the columns `?columns=` leaves out (unknown names are ignored; none or only unknown
    names: the table as it is). Returns the chosen names, for the save form and column menu."""
    # Kept on the table: once hidden, a column is still offered in the menu to show again.
    table.column_choices = choosable_columns(table)
    choosable = [name for name, _label in table.column_choices]
    chosen = [name for name in params.getlist(COLUMNS) if name in choosable]
    if chosen:
        for name in choosable:
            if name not in chosen:
                table.columns.hide(name)
    return chosen


def saved_views_of(*, user, list_key: str):
    """The user's saved views of one list (the tenant scope adds the company)."""
    if not LIST_KEY.match(list_key):
        return SavedView.objects.none()
    return SavedView.objects.filter(user=user, list_key=list_key)


def safe_list_path(request, path: str) -> str:
    """`path` if it is a page of this company on this site, else the dashboard's address."""
    prefix = f"/{request.tenant.slug}/"
    if path.startswith(prefix) and url_has_allowed_host_and_scheme(path, allowed_hosts=None):
        return path.split("?", 1)[0]
    return prefix


def saved_view_save(
    *, tenant, user, list_key: str, name: str, query: str, columns: list[str]
) -> tuple[SavedView, bool]:
    """Saves the view under `name`; a view of the same name on the same list is replaced
    (saving again is how a view is updated). Returns the view and whether it is new."""
    if "\x00" in name + query + list_key + "".join(columns):
        raise ValidationError(_("Remove the invisible control characters and try again."))
    name = " ".join(name.split())
    if not name:
        raise ValidationError(_("Give the view a name."))
    if len(name) > 60:
        raise ValidationError(_("Shorten the name to 60 characters at most."))
    if not LIST_KEY.match(list_key):
        raise ValidationError(_("This list cannot save views: reload the page and try again."))
    if len(query) > 2000:
        raise ValidationError(_("These filters are too long to save: remove some and try again."))
    columns = [column for column in columns if re.match(r"^\w{1,60}$", column)][:50]
    with transaction.atomic():
        # The unique constraint backs up two saves of one name at the same moment.
        mine = SavedView.objects.filter(user=user, list_key=list_key)
        existing = mine.filter(name=name).first()
        if existing is not None:
            existing.query, existing.columns = query, columns
            existing.save(update_fields=["query", "columns"])
            return existing, False
        if mine.count() >= MAX_PER_LIST:
            raise ValidationError(
                _("You have %(count)s saved views of this list: delete one to save another.")
                % {"count": MAX_PER_LIST}
            )
        view = SavedView.objects.create(
            tenant=tenant, user=user, list_key=list_key, name=name, query=query, columns=columns
        )
        return view, True


def saved_view_delete(*, tenant, user, view: SavedView) -> None:
    """Deletes one of the user's own saved views (another user's is refused)."""
    if view.tenant_id != tenant.pk or view.user_id != user.pk:
        raise ValidationError(_("You can delete only your own saved views."))
    with transaction.atomic():
        view.delete()


def view_url(path: str, view: SavedView) -> str:
    """The list at `path` as the view shows it: its filters and its columns."""
    params = [view.query] if view.query else []
    if view.columns:
        params.append(urlencode([(COLUMNS, column) for column in view.columns]))
    return path + ("?" + "&".join(params) if params else "")


def saved_views_context(request, table, chosen: list[str], list_key: str = "") -> dict:
    """What `includes/saved_views.html` shows above a list: its key, address and filters (for
    the menu and the save form) and each choosable column with whether it is shown."""
    key = list_key or request.resolver_match.view_name
    menu = reverse("accounts:saved-view-menu", kwargs={"tenant_slug": request.tenant.slug})
    return {
        "list_key": key,
        "menu_url": f"{menu}?{urlencode({'list': key, 'path': request.path})}",
        "path": request.path,
        "query": view_query(request.GET),
        "params": [
            (name, value)
            for name in request.GET
            if name not in NOT_SAVED
            for value in request.GET.getlist(name)
        ],
        "chosen": chosen,
        "columns": [
            (name, label, not chosen or name in chosen)
            for name, label in getattr(table, "column_choices", None) or choosable_columns(table)
        ],
    }
