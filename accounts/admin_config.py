from django.contrib.admin.apps import AdminConfig


class TenantAdminConfig(AdminConfig):
    default_site = "accounts.admin_site.TenantAdminSite"
