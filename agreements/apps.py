from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgreementsConfig(AppConfig):
    name = "agreements"
    verbose_name = "Agreements"

    def ready(self):
        from accounts.platform.search import SearchProvider, search_providers
        from accounts.platform.tabs import Tab, account_tabs
        from agreements import cancellation_views, selectors, uplift_views, views
        from agreements.tabs import booking_tabs

        search_providers.register(
            SearchProvider(
                "bookings", "Bookings", 30, selectors.search_bookings, "bi-file-earmark-text"
            )
        )

        account_tabs.register(
            Tab(
                key="bookings",
                label=_("Bookings"),
                order=20,
                icon="bi-file-earmark-text",
                template_name="agreements/tabs/account_bookings.html",
                get_context=views.account_bookings_context,
            )
        )
        booking_tabs.register(
            Tab(
                key="overview",
                label=_("Overview"),
                order=0,
                icon="bi-info-circle",
                template_name="agreements/tabs/booking_overview.html",
                get_context=views.booking_overview_context,
            )
        )
        booking_tabs.register(
            Tab(
                key="interests",
                label=_("Agreed prices"),
                order=10,
                icon="bi-tags",
                template_name="agreements/tabs/booking_interests.html",
                get_context=views.booking_interests_context,
            )
        )
        booking_tabs.register(
            Tab(
                key="uplifts",
                label=_("Price uplift"),
                order=15,
                icon="bi-graph-up-arrow",
                template_name="agreements/tabs/booking_uplifts.html",
                get_context=uplift_views.booking_uplifts_context,
            )
        )
        booking_tabs.register(
            Tab(
                key="documents",
                label=_("Documents"),
                order=20,
                icon="bi-paperclip",
                template_name="agreements/tabs/booking_documents.html",
                get_context=views.booking_documents_context,
            )
        )
        booking_tabs.register(
            Tab(
                key="terms",
                label=_("Cancellation terms"),
                order=15,
                icon="bi-calendar-x",
                template_name="agreements/tabs/booking_terms.html",
                get_context=cancellation_views.booking_terms_context,
            )
        )
        # The projects tab is registered by `projects`, the app whose data it shows.
