"""Member groups (admins): the teams projects can be shared with (issue 13, part 5)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from accounts import services
from accounts.forms import MemberGroupForm
from accounts.platform import permissions
from accounts.platform.access import require
from accounts.platform.models import MemberGroup
from accounts.platform.views import TenantFormView, TenantViewMixin, save_with_service


def _members_of(form):
    return list(form.cleaned_data.get("members") or [])


class MemberGroupListView(TenantViewMixin, View):
    """The company's groups with their members, and a form to add one."""

    permission = permissions.MANAGE_TENANT
    write_permission = permissions.MANAGE_TENANT
    template_name = "accounts/member_groups.html"

    def render_page(self, form, status=200):
        groups = MemberGroup.objects.prefetch_related("members__membership__user")
        return render(
            self.request, self.template_name, {"groups": groups, "form": form}, status=status
        )

    def get(self, request):
        return self.render_page(MemberGroupForm(instance=MemberGroup(), tenant=request.tenant))

    def post(self, request):
        form = MemberGroupForm(request.POST, instance=MemberGroup(), tenant=request.tenant)
        saved = save_with_service(
            form,
            lambda: services.member_group_save(
                tenant=request.tenant,
                by=request.user,
                group=form.instance,
                memberships=_members_of(form),
            ),
        )
        if not saved:
            return self.render_page(form, status=422)
        messages.success(request, _("Group %(name)s added.") % {"name": form.instance.name})
        return redirect("accounts:member-groups", tenant_slug=request.tenant.slug)


class MemberGroupEditView(TenantFormView, View):
    permission = permissions.MANAGE_TENANT
    write_permission = permissions.MANAGE_TENANT
    form_class = MemberGroupForm
    title_edit = "Edit group"

    def get_object(self):
        require(self.request, permissions.MANAGE_TENANT)
        return get_object_or_404(MemberGroup.objects, pk=self.kwargs["pk"])

    def save(self, form):
        return services.member_group_save(
            tenant=self.request.tenant,
            by=self.request.user,
            group=form.instance,
            memberships=_members_of(form),
        )
