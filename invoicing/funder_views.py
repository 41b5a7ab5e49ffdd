"""The project's Funders tab: who funds what, what each has paid and what its cap has left
(invoicing's figures, so the tab is invoicing's, registered with projects' tab registry)."""

from invoicing.funder_selectors import customer_share, project_funders


def project_funders_context(request, project):
    """Four queries whatever the number of funders: funders, their scopes (with products and
    packages) and their lines' sums, and the customer's share."""
    funders = project_funders(project)
    return {
        "funders": funders,
        "customer_share": customer_share(project) if funders else None,
    }
