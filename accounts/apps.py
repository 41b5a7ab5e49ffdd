from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Customers and tenancy"

    def ready(self):
        from accounts import selectors, views
        from accounts.platform import (
            checks,  # noqa: F401 - registers the system checks
            lookups,
            sqlite,  # noqa: F401 - SQLite's real parameter limit
        )
        from accounts.platform.search import SearchProvider, search_providers
        from accounts.platform.tables import translate_automatic_headers
        from accounts.platform.tabs import Tab, account_tabs

        translate_automatic_headers()
        lookups.register()  # long lists of ids bound as one array on PostgreSQL

        search_providers.register(
            SearchProvider("accounts", "Accounts", 10, selectors.search_accounts, "bi-building")
        )
        search_providers.register(
            SearchProvider(
                "contacts", "Contacts and learners", 20, selectors.search_contacts, "bi-people"
            )
        )

        account_tabs.register(
            Tab(
                key="overview",
                label=_("Overview"),
                order=0,
                icon="bi-info-circle",
                template_name="accounts/tabs/overview.html",
                get_context=views.overview_tab_context,
            )
        )
        account_tabs.register(
            Tab(
                key="contacts",
                label=_("Contacts"),
                order=10,
                icon="bi-people",
                template_name="accounts/tabs/contacts.html",
                get_context=views.contacts_tab_context,
            )
        )
