from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "invoicing"
    verbose_name = "Invoicing"

    def ready(self):
        from accounts.tabs import AccountTab, account_tabs

        account_tabs.register(
            AccountTab(
                key="invoices",
                label="Invoices",
                order=40,
                icon="bi-receipt",
                template_name="invoicing/tabs/account_invoices.html",
            )
        )
