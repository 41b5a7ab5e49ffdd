from django.contrib.admin.apps import AdminConfig


class TenantAdminConfig(AdminConfig):
    default_site = "accounts.platform.admin_site.TenantAdminSite"
