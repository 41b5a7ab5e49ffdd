"""Reporting views. The project's profitability tab is shown on the project page (projects
never imports this app: the tab is registered in ReportingConfig.ready)."""

from invoicing.selectors import invoiced_net
from projects.models import RevenueRecognition
from projects.selectors import project_totals


def project_profitability_context(request, project):
    totals = project_totals(project)
    invoiced = invoiced_net(project)
    recognised = (
        invoiced
        if project.revenue_recognition == RevenueRecognition.ON_INVOICE
        else totals["delivered_total"]
    )
    profit = recognised - totals["cost_total"]
    return {
        "totals": totals,
        "invoiced_revenue": invoiced,
        "recognised": recognised,
        "profit": profit,
        "margin": (profit / recognised * 100) if recognised else None,
    }
