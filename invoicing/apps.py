from django.apps import AppConfig
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class InvoicingConfig(AppConfig):
    name = "invoicing"
    verbose_name = "Invoicing"

    def ready(self):
        from accounts.platform import permissions
        from accounts.platform.tabs import Tab, account_tabs
        from agreements.services import entry_writers
        from invoicing import selectors, services, views
        from projects.services import registration_credit
        from projects.tabs import RowAction, item_actions, project_tabs, registration_actions

        # A prepurchase use an invoice line wrote is reversed by crediting that line only.
        entry_writers.register(selectors.invoices_of_prepurchase_uses)
        # A cancellation or no-show of an invoiced place credits it (projects' terms).
        registration_credit.register(services.registration_credit)
        # A project's currency changes only while nothing of it is invoiced or drafted.
        from projects.services import project_invoice_count

        project_invoice_count.register(selectors.invoice_count_of_project)
        from accounts.platform.search import SearchProvider, search_providers
        from invoicing import search

        search_providers.register(
            SearchProvider(
                "invoices",
                "Invoices and credit notes",
                60,
                search.search_invoices,
                "bi-receipt",
                permission=permissions.SEE_MONEY,
            )
        )

        create = RowAction(
            key="create-draft-invoice",
            label=_("Create draft invoice"),
            icon="bi-receipt",
            url_name="invoicing:invoice-from-selection",
            permission=permissions.INVOICE,
        )
        registration_actions.register(create)
        item_actions.register(create)

        account_tabs.register(
            Tab(
                key="invoices",
                label=_("Invoices"),
                order=40,
                icon="bi-receipt",
                template_name="invoicing/tabs/account_invoices.html",
                get_context=views.account_invoices_context,
                permission=permissions.SEE_MONEY,
            )
        )
        from invoicing.funder_views import project_funders_context

        project_tabs.register(
            Tab(
                key="funders",
                label=gettext("Funders"),
                order=65,
                icon="bi-bank",
                template_name="invoicing/tabs/project_funders.html",
                get_context=project_funders_context,
                permission=permissions.SEE_MONEY,
            )
        )
        project_tabs.register(
            Tab(
                key="invoices",
                label=_("Invoices"),
                order=60,
                icon="bi-receipt",
                template_name="invoicing/tabs/project_invoices.html",
                get_context=views.project_invoices_context,
                permission=permissions.SEE_MONEY,
            )
        )
