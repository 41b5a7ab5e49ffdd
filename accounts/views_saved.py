"""Saved list views (issue 17): the menu of a list's saved views, saving one, deleting one.

Every list page shows the same controls (`includes/saved_views.html`); the rules live in
`accounts.platform.saved_views`. Keeping views is the permission that keeps custom report
definitions (`SAVE_REPORTS`: admin, staff, finance); a viewer posts nothing, by rule.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from accounts.platform import confirm, permissions
from accounts.platform.models import SavedView
from accounts.platform.saved_views import (
    COLUMNS,
    safe_list_path,
    saved_view_delete,
    saved_view_save,
    saved_views_of,
    view_url,
)
from accounts.platform.views import TenantViewMixin


class SavedViewMenuView(TenantViewMixin, View):
    """The items of a list's "Saved views" menu, loaded by htmx when the menu opens (so that a
    list page itself runs no query for them)."""

    def get(self, request):
        path = safe_list_path(request, request.GET.get("path", ""))
        views = saved_views_of(user=request.user, list_key=request.GET.get("list", "")[:60])
        rows = [(view, view_url(path, view)) for view in views]
        return render(request, "includes/saved_views_menu.html", {"rows": rows, "path": path})


class SavedViewSaveView(TenantViewMixin, View):
    write_permission = permissions.SAVE_REPORTS

    def post(self, request):
        path = safe_list_path(request, request.POST.get("next", ""))
        try:
            view, new = saved_view_save(
                tenant=request.tenant,
                user=request.user,
                list_key=request.POST.get("list", ""),
                name=request.POST.get("name", ""),
                query=request.POST.get("query", ""),
                columns=request.POST.getlist(COLUMNS),
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(path)
        text = _("View “%(name)s” saved.") if new else _("View “%(name)s” updated.")
        messages.success(request, text % {"name": view.name})
        return redirect(view_url(path, view))


class SavedViewDeleteView(TenantViewMixin, View):
    write_permission = permissions.SAVE_REPORTS

    def post(self, request, pk):
        view = SavedView.objects.filter(pk=pk, user=request.user).first()
        if view is None:  # another company's, another user's, or gone: not to be told apart
            raise Http404(_("No such saved view."))
        path = safe_list_path(request, request.POST.get("next", ""))
        if not confirm.confirmed(request):
            return confirm.ask(
                request,
                title=_("Delete a saved view"),
                question=_("Delete your saved view “%(name)s”?") % {"name": view.name},
                button=_("Delete"),
                cancel_url=path,
                warning=_("The list itself and its rows stay as they are."),
            )
        try:
            saved_view_delete(tenant=request.tenant, user=request.user, view=view)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(path)
        messages.success(request, _("Saved view “%(name)s” deleted.") % {"name": view.name})
        return redirect(path)
