from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.models import Account, BankAccount, Contact, MemberGroup, Region
from accounts.platform.admin import TenantInline, TenantModelAdmin
from accounts.platform.admin_site import PlatformOnlyAdminMixin
from accounts.platform.models import AuditEntry, Membership, Sequence, Tenant


class PlatformOnlyAdmin(PlatformOnlyAdminMixin, admin.ModelAdmin):
    """Global rows: only platform superusers manage them."""


@admin.register(Tenant)
class TenantAdmin(PlatformOnlyAdmin):
    """A company is deactivated, never deleted: its issued invoices and audit trail stay."""

    list_display = ["name", "slug", "base_currency", "country", "is_active", "created_at"]
    list_filter = ["is_active", "base_currency"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def has_delete_permission(self, request, obj=None):
        return False


User = get_user_model()
admin.site.unregister(User) if admin.site.is_registered(User) else None


@admin.register(User)
class PlatformUserAdmin(PlatformOnlyAdmin, UserAdmin):
    pass


class MembershipAddForm(forms.ModelForm):
    """A member is added by e-mail, never by picking a user of the platform."""

    email = forms.EmailField(label=_("E-mail"))
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)

    class Meta:
        model = Membership
        fields = ["role"]

    def clean(self):
        cleaned = super().clean()
        tenant = cleaned.get("tenant")
        if tenant is None and self.instance.tenant_id:
            tenant = self.instance.tenant
        email = (cleaned.get("email") or "").strip().lower()
        # The service refuses it too; asked here, the admin can show it on the form.
        if tenant is not None and email:
            members = Membership.objects.filter(tenant=tenant, user__email__iexact=email)
            if members.exists():
                self.add_error(
                    "email",
                    gettext("%(email)s is already a member of %(tenant)s.")
                    % {"email": email, "tenant": tenant},
                )
        return cleaned


@admin.register(Membership)
class MembershipAdmin(TenantModelAdmin):
    """Members are added by e-mail through `membership_add`, whose answer is the same whether or
    not the person has a user account already; the person of a membership never changes."""

    list_display = ["user", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "user__first_name", "user__last_name"]
    # `save_model` calls it with the e-mail (adds) or `membership_change_role` (changes).
    service = services.membership_add
    delete_service, delete_service_argument = services.membership_remove, "membership"

    def get_fieldsets(self, request, obj=None):
        if obj is not None:
            return super().get_fieldsets(request, obj)
        fields = ["email", "first_name", "last_name", "role"]
        return [(None, {"fields": ["tenant", *fields] if self._platform(request) else fields})]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = MembershipAddForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return [*fields, "user"] if obj is not None else fields

    def save_model(self, request, obj, form, change):
        with self.tenant_of(request, obj) as tenant:
            if change:
                if "role" in form.changed_data:
                    new_role, obj.role = obj.role, form.initial["role"]
                    services.membership_change_role(
                        tenant=tenant, by=request.user, membership=obj, role=new_role
                    )
                return
            email = form.cleaned_data["email"].strip().lower()
            membership, _ = services.membership_add(
                tenant=tenant,
                by=request.user,
                email=email,
                role=obj.role,
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                invite_base_url=request.build_absolute_uri("/"),
            )
        obj.pk, obj.user = membership.pk, membership.user
        request.member_invited = services.invitation_sent(email=email, tenant=tenant)

    def response_add(self, request, obj, post_url_continue=None):
        # The page's answer: the same whether or not the person had a user account.
        self.message_user(request, request.member_invited)
        return HttpResponseRedirect(reverse("admin:accounts_membership_changelist"))


@admin.register(Region)
class RegionAdmin(TenantModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]
    service, service_argument = services.region_save, "region"


class ContactInline(TenantInline, admin.TabularInline):
    model = Contact
    extra = 0
    fields = ["first_name", "last_name", "job_title", "email", "phone", "is_primary"]
    service, service_argument = services.contact_save, "contact"
    delete_service, delete_service_argument = services.contact_delete, "contact"


@admin.register(Account)
class AccountAdmin(TenantModelAdmin):
    list_display = ["number", "name", "kind", "region", "parent", "is_active"]
    list_display_links = ["number", "name"]
    list_filter = ["kind", "is_active", "region"]
    search_fields = ["name", "number", "email", "city"]
    list_select_related = ["region", "parent"]
    readonly_fields = ["number", "created_at", "updated_at"]
    inlines = [ContactInline]
    service, service_argument = services.account_save, "account"


@admin.register(BankAccount)
class BankAccountAdmin(TenantModelAdmin):
    """Saved through `bank_account_save` (one default per company, audited); deactivated, never
    deleted: issued invoices name the account they were issued with."""

    list_display = ["label", "currency", "iban", "account_number", "is_default", "is_active"]
    list_filter = ["is_active", "currency"]
    search_fields = ["label", "bank_name", "iban", "account_number"]
    service, service_argument = services.bank_account_save, "bank_account"


@admin.register(Contact)
class ContactAdmin(TenantModelAdmin):
    list_display = ["full_name", "account", "email", "is_primary"]
    list_filter = ["is_primary"]
    search_fields = ["first_name", "last_name", "email", "account__name"]
    list_select_related = ["account"]
    autocomplete_fields = ["account"]
    service, service_argument = services.contact_save, "contact"
    delete_service, delete_service_argument = services.contact_delete, "contact"


@admin.register(Sequence)
class SequenceAdmin(TenantModelAdmin):
    """Counters are read-only (no service named): editing one by hand could reuse or skip a
    number."""

    list_display = ["key", "last_value"]


@admin.register(AuditEntry)
class AuditEntryAdmin(TenantModelAdmin):
    """The audit trail is append-only: readable here (no service named), never changed."""

    list_display = ["at", "action", "subject", "actor"]
    list_filter = ["action", "object_type"]
    search_fields = ["subject"]
    list_select_related = ["actor"]


def _group_save(*, tenant, by, group):
    """The admin renames a group; its members are kept (they are ticked on Settings → Groups)."""
    members = (
        [row.membership for row in group.members.select_related("membership")] if group.pk else []
    )
    return services.member_group_save(tenant=tenant, by=by, group=group, memberships=members)


@admin.register(MemberGroup)
class MemberGroupAdmin(TenantModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    service, service_argument = staticmethod(_group_save), "group"
