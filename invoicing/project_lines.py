"""Which project an invoice line's money is: the one path every per-project figure takes."""

from django.db.models import QuerySet

from invoicing.models import InvoiceLine
from projects.models import Project

# The path from an invoice line to the project whose money it is: the LINE's project, never its
# invoice's (an invoice may bill several projects of one billing account; `Invoice.project` is
# only the first of them). Every figure per project (invoiced, on drafts, deposits, the cap,
# profitability, the dashboard) filters or groups lines by it: change it here, nowhere else.
LINE_PROJECT = "project"
LINE_PROJECT_ID = f"{LINE_PROJECT}_id"


def lines_of_projects(lines: QuerySet[InvoiceLine], projects) -> QuerySet[InvoiceLine]:
    """`lines` that bill `projects` (a project, ids or a queryset), by the line's project."""
    if isinstance(projects, Project):
        return lines.filter(**{LINE_PROJECT: projects})
    return lines.filter(**{f"{LINE_PROJECT_ID}__in": projects})
