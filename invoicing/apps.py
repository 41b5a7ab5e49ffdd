from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "invoicing"
    verbose_name = "Invoicing"

    def ready(self):
        from accounts.tabs import Tab, account_tabs
        from projects.tabs import project_tabs

        account_tabs.register(
            Tab(
                key="invoices",
                label="Invoices",
                order=40,
                icon="bi-receipt",
                template_name="invoicing/tabs/account_invoices.html",
            )
        )
        project_tabs.register(
            Tab(
                key="invoices",
                label="Invoices",
                order=60,
                icon="bi-receipt",
                template_name="invoicing/tabs/project_invoices.html",
            )
        )
