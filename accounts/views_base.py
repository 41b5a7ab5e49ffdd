"""Mixins every tenant view builds on."""

from django.core.exceptions import ImproperlyConfigured, PermissionDenied

from accounts import permissions
from accounts.access import require


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

    def htmx_template(self, full: str, partial: str) -> str:
        htmx = getattr(self.request, "htmx", None)
        if htmx and not htmx.boosted and htmx.target:
            return partial
        return full


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
        from accounts.access import can

        context = super().get_context_data(**kwargs)
        context.update(title=self.title, subtitle=self.subtitle, create_label=self.create_label)
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

        from accounts.views import save_with_service

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
        tabs = [
            (
                item,
                reverse(
                    self.tab_url_name,
                    kwargs={"tenant_slug": request.tenant.slug, "pk": obj.pk, "tab": item.key},
                ),
            )
            for item in self.registry.all()
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
