from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "Projects"

    def ready(self):
        from accounts.platform.tabs import Tab, account_tabs
        from agreements.pricing import places_counter
        from agreements.tabs import booking_tabs
        from projects import services, views
        from projects.tabs import project_tabs

        places_counter.register(services.discount_places_used)
        from accounts.platform.search import SearchProvider, search_providers
        from projects import selectors

        search_providers.register(
            SearchProvider("projects", "Projects", 40, selectors.search_projects, "bi-kanban")
        )
        search_providers.register(
            SearchProvider("events", "Events", 50, selectors.search_events, "bi-calendar-event")
        )
        account_tabs.register(
            Tab(
                key="projects",
                label=_("Projects"),
                order=30,
                icon="bi-kanban",
                template_name="projects/tabs/account_projects.html",
                get_context=views.account_projects_context,
            )
        )
        booking_tabs.register(
            Tab(
                key="projects",
                label=_("Projects"),
                order=30,
                icon="bi-kanban",
                template_name="projects/tabs/booking_projects.html",
                get_context=views.booking_projects_context,
            )
        )
        for order, (key, label, icon, context) in enumerate(
            [
                ("overview", "Overview", "bi-info-circle", views.overview_context),
                ("events", "Events", "bi-calendar-event", views.events_context),
                ("registrations", "Registrations", "bi-people", views.registrations_context),
                ("items", "Items", "bi-box-seam", views.items_context),
                ("documents", "Documents", "bi-paperclip", views.documents_context),
            ]
        ):
            project_tabs.register(
                Tab(
                    key=key,
                    label=label,
                    order=order * 10,
                    icon=icon,
                    template_name=f"projects/tabs/{key}.html",
                    get_context=context,
                )
            )
