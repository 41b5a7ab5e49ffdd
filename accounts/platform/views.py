"""Mixins every tenant view builds on."""

from dataclasses import dataclass

import django_filters.fields
from django.contrib import messages
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.forms.models import ModelChoiceIterator
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.utils.translation import gettext
from django_htmx.http import HttpResponseClientRedirect

from accounts.platform import import_tasks, permissions
from accounts.platform.access import can, require
from accounts.platform.forms import ImportForm, add_service_error
from accounts.platform.importing import check_file, load_table
from accounts.platform.memberships import membership_for
from accounts.platform.saved_views import choose_columns, saved_views_context
from accounts.platform.tenancy import tenant_url


class TenantViewMixin:
    """A view of a tenant page.

    `permission` guards every request (reading); `write_permission` guards any other method than
    GET/HEAD/OPTIONS, so a viewer's POST is refused with 403 whatever the view does with it.
    """

    permission = permissions.VIEW
    write_permission: str | None = None

    def dispatch(self, request, *args, **kwargs):
        if getattr(request, "tenant", None) is None:
            raise PermissionDenied(gettext("Tenant pages run only under /<company>/."))
        require(request, self.permission)
        if request.method not in ("GET", "HEAD", "OPTIONS") and hasattr(
            self, request.method.lower()
        ):
            if self.write_permission is None:
                raise ImproperlyConfigured(
                    f"{type(self).__name__} handles {request.method} but names no write_permission."
                )
            require(request, self.write_permission)
        return super().dispatch(request, *args, **kwargs)

    @property
    def tenant(self):
        return self.request.tenant


class PaginateOnce:
    """For a `SingleTableMixin` + `ListView`: the table paginates, the ListView does not.

    Both would otherwise slice the queryset and run their own `COUNT(*)`; the page shows the
    table's page and count (`table.page`). `paginate_by` is the table's page size.
    """

    paginate_by = 25

    def paginate_queryset(self, queryset, page_size):
        return None, None, queryset, False


class _FetchedRows(ModelChoiceIterator):
    """Django's choices of a model select, from one ordinary fetch of the queryset."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for row in self.queryset:  # fetched once, kept by the field's queryset
            yield self.choice(row)


class FetchedChoiceIterator(django_filters.fields.ModelChoiceIterator, _FetchedRows):
    """A filter's model select (events of a project, project classes) without Django's
    `queryset.iterator()`: on PostgreSQL that is a server-side cursor, three round trips for
    a few dozen rows (4.5 ms of a project's registrations tab, issue 18). Lists that can be
    long are `SearchSelect`s, which never iterate their choices."""


def plain_filter_fields(filterset):
    """Gives a filter bar's widgets Bootstrap's classes, so that the template renders each field
    as its label and widget (`{% filter_field %}`, accounts/templatetags/filter_bar.py), not
    through crispy's per-field templates (a third of a list page's rendering time, a fifth of
    a project tab's); model selects fetch their rows in one query (`FetchedChoiceIterator`)."""
    for field in filterset.form.fields.values():
        if getattr(field, "iterator", None) is django_filters.fields.ModelChoiceIterator:
            field.iterator = FetchedChoiceIterator
            field.widget.choices = field.choices  # the widget holds the iterator it was given
        widget = field.widget
        css = "form-select" if getattr(widget, "input_type", "") == "select" else "form-control"
        classes = widget.attrs.get("class", "")
        if css not in classes.split():
            widget.attrs["class"] = f"{classes} {css}".strip()
    return filterset


class PlainFilterFields:
    """`plain_filter_fields` for a FilterView's filter bar."""

    def get_filterset(self, filterset_class):
        return plain_filter_fields(super().get_filterset(filterset_class))


class SavedViewsMixin:
    """Visible columns (`?columns=`) and saved views (issue 17) on a `SingleTableMixin` list:
    the table hides the columns left out, the page gets `saved_views` for
    `includes/saved_views.html` (no query: the menu of saved views loads when it opens)."""

    def get_table(self, **kwargs):
        table = super().get_table(**kwargs)
        self.chosen_columns = choose_columns(table, self.request.GET)
        return table

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["saved_views"] = saved_views_context(
            self.request, context["table"], self.chosen_columns
        )
        return context


class TenantListView(PaginateOnce, PlainFilterFields, SavedViewsMixin, TenantViewMixin):
    """A django-tables2 list with a django-filter bar, on the shared list page template.

    Combine with `SingleTableMixin, FilterView`; set `title`, and `create_url_name` plus
    `create_permission` for a "New" button. The table paginates once (`PaginateOnce`: one
    `COUNT(*)` per page).
    """

    template_name = "includes/list_page.html"
    title = ""
    subtitle = ""
    create_url_name: str | None = None
    create_label = "New"
    create_permission: str | None = None

    def get_context_data(self, **kwargs):

        context = super().get_context_data(**kwargs)
        context.update(
            title=self.title,
            subtitle=self.subtitle,
            create_label=self.create_label,
            exportable=getattr(self, "exporter_class", None) is not None,
        )
        if self.create_url_name and can(self.request, self.create_permission):
            from django.urls import reverse

            context["create_url"] = reverse(
                self.create_url_name, kwargs={"tenant_slug": self.request.tenant.slug}
            )
        return context


class TenantFormView(TenantViewMixin):
    """Create or edit one row through its service, on the shared form page template.

    Subclasses set `form_class`, `write_permission`, `title_new`/`title_edit`, and implement
    `get_object()` (a new row or one fetched through an access helper) and `save(form)` (which
    calls the service and returns the saved row).
    """

    template_name = "includes/form_page.html"
    form_class = None
    title_new = "New"
    title_edit = "Edit"

    def get_object(self):
        raise NotImplementedError

    def save(self, form):
        raise NotImplementedError

    def get_form_kwargs(self, obj):
        return {"instance": obj, "tenant": self.request.tenant}

    def get_initial(self):
        return {}

    def get_success_url(self, obj):
        return obj.get_absolute_url()

    def get_cancel_url(self, obj):
        return obj.get_absolute_url() if obj.pk else self.request.META.get("HTTP_REFERER", "")

    def render_form(self, form, obj, status=200):
        from django.shortcuts import render

        context = {
            "form": form,
            "object": obj,
            "title": self.title_edit if obj.pk else self.title_new,
            "cancel_url": self.get_cancel_url(obj),
            "multipart": form.is_multipart(),
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, *args, **kwargs):
        obj = self.get_object()
        form = self.form_class(initial=self.get_initial(), **self.get_form_kwargs(obj))
        return self.render_form(form, obj)

    def post(self, request, *args, **kwargs):
        from django.contrib import messages
        from django.shortcuts import redirect

        obj = self.get_object()
        form = self.form_class(request.POST, request.FILES, **self.get_form_kwargs(obj))
        result = {}

        def save():
            result["obj"] = self.save(form)

        if not save_with_service(form, save):
            return self.render_form(form, obj, status=422)
        messages.success(request, gettext("%(obj)s saved.") % {"obj": result["obj"]})
        return redirect(self.get_success_url(result["obj"]))


class TabbedDetailView(TenantViewMixin):
    """A detail page with htmx tabs from a `TabRegistry`.

    A normal request renders the whole page with the active tab inside; an htmx request (a tab
    click) renders the tab's template alone. Subclasses set `registry`, `template_name`,
    `context_object_name` and implement `get_object(pk)`.
    """

    registry = None
    context_object_name = "object"
    tab_url_name = ""

    def get_object(self, pk):
        raise NotImplementedError

    def get(self, request, pk, tab="overview"):
        return self.render_page(self.get_object(pk), tab)

    def render_page(self, obj, tab, extra=None, status=200):
        from django.http import Http404
        from django.shortcuts import render

        request = self.request
        active = self.registry.get(tab)
        if active is None:
            raise Http404("No such tab.")
        if active.permission and not can(request, active.permission):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied(gettext("Your role does not allow this."))
        tabs = [
            (
                item,
                tenant_url(self.tab_url_name, request.tenant.slug, {"pk": obj.pk, "tab": item.key}),
            )
            for item in self.registry.all()
            if not item.permission or can(request, item.permission)
        ]
        context = {
            self.context_object_name: obj,
            "object": obj,
            "tabs": tabs,
            "active_tab": active,
            **active.get_context(request, obj),
            **self.get_extra_context(obj),
            **(extra or {}),
        }
        htmx = getattr(request, "htmx", None)
        template = (
            active.template_name
            if htmx and not htmx.history_restore_request
            else (self.template_name)
        )
        return render(request, template, context, status=status)

    def get_extra_context(self, obj):
        return {}


@dataclass(frozen=True)
class TaskRequest:
    """What an import view reads of a request (company, user, role), when a task runs it."""

    tenant: object
    user: object
    membership: object
    method = "POST"
    htmx = None


class DatasetImportView(TenantViewMixin):
    """Upload a CSV/XLSX → dry-run preview listing every bad row → confirm: all rows, or none.

    Subclasses set `permission`/`write_permission`, and implement `get_target(pk)`,
    `run_import(target, dataset, dry_run, confirm)` (returning an `ImportReport`),
    `get_context(target)` (title, back_url, columns) and `success_message(report)`. The first two
    and the last read only `tenant`, `user` and `membership` of `self.request`: a background task
    runs them for the user who started the import (`for_task`).

    The checked dataset waits in Django storage between preview and confirmation, so any app
    server can finish the import (`import_tasks`). A large file is checked, and a large preview
    imported, by a background task: the page (`?preview=<token>`) shows its progress and then the
    same preview and confirm step; it can be left and come back to.
    """

    template_name = "includes/import_page.html"
    result_template_name = "includes/import_result.html"

    def get_target(self, pk):
        raise NotImplementedError

    def run_import(self, target, dataset, *, dry_run: bool, confirm: bool):
        raise NotImplementedError

    def get_context(self, target) -> dict:
        raise NotImplementedError

    def success_message(self, report) -> str:
        return f"Imported {report.new} row{pluralize(report.new)}."

    @classmethod
    def task_path(cls) -> str:
        return f"{cls.__module__}.{cls.__qualname__}"

    @classmethod
    def for_task(cls, *, tenant, user):
        """The view as the background task runs it: the user's role as it is now."""
        membership = membership_for(user, tenant.slug)
        if membership is None:
            raise PermissionDenied(gettext("You no longer belong to this company."))
        view = cls()
        view.request = TaskRequest(tenant=tenant, user=user, membership=membership)
        return view

    def render_page(self, target, status=200, **context):
        context.setdefault("form", ImportForm())
        context = {**self.get_context(target), **context}
        htmx = getattr(self.request, "htmx", None)
        polled = htmx and htmx.target == "import-result" and not htmx.history_restore_request
        template = self.result_template_name if polled else self.template_name
        return render(self.request, template, context, status=status)

    def preview_url(self, token: str) -> str:
        return f"{self.request.path}?preview={token}"

    def go_to(self, url: str):
        if getattr(self.request, "htmx", None):
            return HttpResponseClientRedirect(url)
        return redirect(url)

    def get(self, request, pk):
        target = self.get_target(pk)
        if "preview" in request.GET:
            return self.show_preview(target, request.GET["preview"])
        return self.render_page(target)

    def post(self, request, pk):
        target = self.get_target(pk)
        if "token" in request.POST:
            return self.confirm(
                target, request.POST["token"], confirm=bool(request.POST.get("confirm_warnings"))
            )
        form = ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_page(target, status=422, form=form)
        upload = form.cleaned_data["file"]
        try:
            name = check_file(upload)
            if upload.size > import_tasks.BACKGROUND_BYTES:
                return self.check_in_background(target, upload, name)
            dataset = load_table(upload)
        except ValidationError as error:
            form.add_error("file", error)
            return self.render_page(target, status=422, form=form)
        if len(dataset) > import_tasks.BACKGROUND_ROWS:
            return self.check_in_background(target, upload, name)
        report = self.run_import(target, dataset, dry_run=True, confirm=True)
        context = {"form": form, "report": report, "rows": len(dataset)}
        if report.ok:
            context["token"] = import_tasks.save_checked_preview(
                tenant=request.tenant,
                view=self.task_path(),
                target_id=target.pk,
                name=name,
                dataset=dataset,
                report=report,
            )
        return self.render_page(target, status=200 if report.ok else 422, **context)

    def check_in_background(self, target, upload, name: str):
        token = import_tasks.start_check(
            tenant=self.request.tenant,
            user=self.request.user,
            view=self.task_path(),
            target_id=target.pk,
            upload=upload,
            name=name,
        )
        return redirect(self.preview_url(token))

    def load_preview(self, target, token: str) -> dict | None:
        """This view's and target's stored preview, or None once it is gone."""
        try:
            preview = import_tasks.read_preview(self.request.tenant.pk, token)
        except ValueError:
            raise Http404("No such import.") from None
        mine = (self.task_path(), target.pk)
        if (
            preview is not None
            and "view" in preview
            and (preview["view"], preview["target"]) != mine
        ):
            raise Http404("No such import.")
        return preview

    def show_preview(self, target, token: str):
        """A background import's page: its progress, then the preview (or what stopped it)."""
        preview = self.load_preview(target, token)
        if preview is None:
            messages.error(
                self.request, gettext("That preview has expired: upload the file again.")
            )
            return self.go_to(self.request.path)
        state = preview["state"]
        if state == "done":
            import_tasks.discard_preview(self.request.tenant.pk, token)
            messages.success(self.request, preview["message"])
            return self.go_to(target.get_absolute_url())
        context = {"preview": preview, "poll_url": self.preview_url(token)}
        if import_tasks.is_stale(preview):
            context["problem"] = (
                "The import did not report back for a while and seems to have stopped: check "
                "the list, then upload the file again."
            )
        elif state in import_tasks.WORKING:
            context["step"] = import_tasks.STEP_LABELS[state]
            context["percent"] = {"queued": 25, "reading": 50}.get(state, 75)
        elif state in ("refused", "failed"):
            context["problem"] = preview["message"]
        else:  # ready: the same preview as a small file's
            report = import_tasks.StoredReport(preview["report"])
            context.update(report=report, rows=preview["rows"])
            if preview.get("dataset"):  # checked rows to confirm (after warnings, again)
                context["token"] = token
        return self.render_page(target, **context)

    def confirm(self, target, token, *, confirm: bool):
        tenant = self.request.tenant
        preview = self.load_preview(target, token)
        if preview is not None and preview["state"] in import_tasks.WORKING:
            return redirect(self.preview_url(token))  # a second click: the first one is running
        dataset = import_tasks.dataset_from(preview) if preview else None
        if dataset is None or preview["state"] != "ready":
            messages.error(
                self.request, gettext("That preview has expired: upload the file again.")
            )
            return redirect(self.request.path)
        if not import_tasks.claim_preview(tenant.pk, token):
            return redirect(self.preview_url(token))
        if len(dataset) > import_tasks.BACKGROUND_ROWS:
            import_tasks.start_import(
                tenant=tenant, user=self.request.user, token=token, preview=preview, confirm=confirm
            )
            return redirect(self.preview_url(token))
        try:
            report = self.run_import(target, dataset, dry_run=False, confirm=confirm)
        except BaseException:
            import_tasks.release_preview(tenant.pk, token)
            raise
        if not report.ok:
            import_tasks.release_preview(tenant.pk, token)
            return self.render_page(
                target, status=422, report=report, rows=len(dataset), token=token
            )
        import_tasks.discard_preview(tenant.pk, token)
        messages.success(self.request, self.success_message(report))
        return redirect(target.get_absolute_url())


def save_with_service(form, save) -> bool:
    """Call a service with a valid form; its ValidationError lands on the form, nothing saved."""
    if not form.is_valid():
        return False
    try:
        save()
    except ValidationError as error:
        add_service_error(form, error)
        return False
    return True
