from django.apps import AppConfig
from django.db import connections
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = "Reporting"

    def ready(self):
        from accounts.platform import figures, permissions
        from accounts.platform.dashboard import Panel, panels
        from accounts.platform.tabs import Tab
        from projects.tabs import OverviewPanel, overview_panels, project_tabs
        from reporting import freshness, phases, views

        # Figures are cached until a write changes them: watch every connection's writes,
        # those already open as well (`connection_created` covers the later ones).
        for connection in connections.all(initialized_only=True):
            freshness.install(connection=connection)
        figures.install(freshness.cached)

        project_tabs.register(
            Tab(
                key="phases",
                label=gettext("Phases"),
                order=15,
                icon="bi-bar-chart-steps",
                template_name="reporting/tabs/project_phases.html",
                get_context=phases.project_phases_context,
                permission=permissions.SEE_MONEY,
            )
        )
        project_tabs.register(
            Tab(
                key="profitability",
                label=_("Profitability"),
                order=70,
                icon="bi-graph-up",
                template_name="reporting/tabs/project_profitability.html",
                get_context=views.project_profitability_context,
                permission=permissions.SEE_MONEY,
            )
        )
        overview_panels.register(
            OverviewPanel(
                key="money",
                template_name="reporting/tabs/project_overview_money.html",
                get_context=views.project_overview_money_context,
                permission=permissions.SEE_MONEY,
            )
        )
        panels.register(
            Panel(
                key="money",
                order=10,
                template_name="reporting/dashboard_panel.html",
                get_context=views.dashboard_context,
                permission=permissions.SEE_MONEY,
            )
        )
        panels.register(
            Panel(
                key="aged-receivables",
                order=15,
                template_name="reporting/aged_panel.html",
                get_context=views.aged_panel_context,
                permission=permissions.SEE_MONEY,
            )
        )
