"""Mixins every tenant view builds on."""

from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError

from accounts.platform import permissions
from accounts.platform.access import can, require
from accounts.platform.forms import ImportForm
from accounts.platform.importing import load_table


class TenantViewMixin:
    """A view of a tenant page.

    `permission` guards every request (reading); `write_permission` guards any other method than
    GET/HEAD/OPTIONS, so a viewer's POST is refused with 403 whatever the view does with it.
    """

    permission = permissions.VIEW
    write_permission: str | None = None

    def dispatch(self, request, *args, **kwargs):
        if getattr(request, "tenant", None) is None:
            raise PermissionDenied("Tenant pages run only under /<company>/.")
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


class TenantListView(TenantViewMixin):
    """A django-tables2 list with a django-filter bar, on the shared list page template.

    Combine with `SingleTableMixin, FilterView`; set `title`, and `create_url_name` plus
    `create_permission` for a "New" button.
    """

    template_name = "includes/list_page.html"
    paginate_by = 25
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
            exportable=getattr(self, "export_resource_class", None) is not None,
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
        messages.success(request, f"{result['obj']} saved.")
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
        from django.urls import reverse

        request = self.request
        active = self.registry.get(tab)
        if active is None:
            raise Http404("No such tab.")
        if active.permission and not can(request, active.permission):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied("Your role does not allow this.")
        tabs = [
            (
                item,
                reverse(
                    self.tab_url_name,
                    kwargs={"tenant_slug": request.tenant.slug, "pk": obj.pk, "tab": item.key},
                ),
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


class DatasetImportView(TenantViewMixin):
    """Upload a CSV/XLSX → dry-run preview listing every bad row → confirm: all rows, or none.

    Subclasses set `permission`/`write_permission`, and implement `get_target(pk)`,
    `run_import(target, dataset, dry_run, confirm)` (returning an `ImportReport`),
    `get_context(target)` (title, back_url, columns) and `success_message(report)`.
    The checked dataset waits in Django storage between preview and confirmation, so any app
    server can finish the import.
    """

    template_name = "includes/import_page.html"

    def get_target(self, pk):
        raise NotImplementedError

    def run_import(self, target, dataset, *, dry_run: bool, confirm: bool):
        raise NotImplementedError

    def get_context(self, target) -> dict:
        raise NotImplementedError

    def success_message(self, report) -> str:
        return f"Imported {report.new} rows."

    def _pending_path(self, token: str) -> str:
        import uuid

        return f"tenants/{self.request.tenant.pk}/imports/{uuid.UUID(hex=token).hex}.json"

    def render_page(self, target, status=200, **context):
        from django.shortcuts import render

        context.setdefault("form", ImportForm())
        return render(
            self.request, self.template_name, {**self.get_context(target), **context}, status=status
        )

    def get(self, request, pk):
        return self.render_page(self.get_target(pk))

    def post(self, request, pk):
        from django.core.files.base import ContentFile
        from django.core.files.storage import default_storage

        target = self.get_target(pk)
        if "token" in request.POST:
            return self.confirm(
                target, request.POST["token"], confirm=bool(request.POST.get("confirm_warnings"))
            )
        form = ImportForm(request.POST, request.FILES)
        dataset = report = None
        if form.is_valid():
            try:
                dataset = load_table(form.cleaned_data["file"])
            except ValidationError as error:
                form.add_error("file", error)
        if dataset is None:
            return self.render_page(target, status=422, form=form)
        report = self.run_import(target, dataset, dry_run=True, confirm=True)
        context = {"form": form, "report": report, "rows": len(dataset)}
        if report.ok:
            import uuid

            token = uuid.uuid4().hex
            default_storage.save(
                self._pending_path(token), ContentFile(dataset.export("json").encode())
            )
            context["token"] = token
        return self.render_page(target, status=200 if report.ok else 422, **context)

    def confirm(self, target, token, *, confirm: bool):
        import tablib
        from django.contrib import messages
        from django.core.files.storage import default_storage
        from django.http import Http404
        from django.shortcuts import redirect

        try:
            path = self._pending_path(token)
        except ValueError:
            raise Http404("No such import.") from None
        if not default_storage.exists(path):
            messages.error(self.request, "That preview has expired: upload the file again.")
            return redirect(self.request.path)
        with default_storage.open(path) as stored:
            dataset = tablib.Dataset().load(stored.read().decode(), format="json")
        report = self.run_import(target, dataset, dry_run=False, confirm=confirm)
        if not report.ok:
            return self.render_page(
                target, status=422, report=report, rows=len(dataset), token=token
            )
        default_storage.delete(path)
        messages.success(self.request, self.success_message(report))
        return redirect(target.get_absolute_url())


def save_with_service(form, save) -> bool:
    """Call a service with a valid form; its ValidationError lands on the form, nothing saved."""
    if not form.is_valid():
        return False
    try:
        save()
    except ValidationError as error:
        form.add_error(None, error)
        return False
    return True
