from django.apps import AppConfig


class AgreementsConfig(AppConfig):
    name = "agreements"
    verbose_name = "Agreements"

    def ready(self):
        from accounts.tabs import AccountTab, account_tabs

        account_tabs.register(
            AccountTab(
                key="bookings",
                label="Bookings",
                order=20,
                icon="bi-file-earmark-text",
                template_name="agreements/tabs/account_bookings.html",
            )
        )
