from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = "Reporting"

    def ready(self):
        from accounts.platform import permissions
        from accounts.platform.dashboard import Panel, panels
        from accounts.platform.tabs import Tab
        from projects.tabs import OverviewPanel, overview_panels, project_tabs
        from reporting import views

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
