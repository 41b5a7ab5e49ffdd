"""Reporting views. The project's profitability tab is shown on the project page (projects
never imports this app: the tab is registered in ReportingConfig.ready)."""

from projects.selectors import project_totals


def project_profitability_context(request, project):
    return {"totals": project_totals(project)}
