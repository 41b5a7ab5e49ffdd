"""Tabs of the project page; `invoicing` and `reporting` add theirs in AppConfig.ready()."""

from dataclasses import dataclass

from accounts.platform.access import can
from accounts.platform.registry import Registry
from accounts.platform.tabs import Tab

project_tabs: Registry[Tab] = Registry("project tabs")


@dataclass(frozen=True)
class RowAction:
    """A button under the registrations or items table that POSTs the ticked rows elsewhere
    (invoicing registers "Create draft invoice"), so `projects` never names its URLs."""

    key: str
    label: str
    url_name: str
    permission: str
    icon: str = "bi-arrow-right"


@dataclass(frozen=True)
class OverviewPanel:
    """Cards on the project's overview that show a higher app's figures (reporting registers
    revenue, cost and profit), so `projects` never imports it. `get_context(request, project)`
    returns what `template_name` reads as `panel`."""

    key: str
    template_name: str
    get_context: object
    permission: str | None = None  # e.g. SEE_MONEY: shown only to roles that have it


overview_panels: Registry[OverviewPanel] = Registry("project overview panels")
registration_actions: Registry[RowAction] = Registry("registration actions")
item_actions: Registry[RowAction] = Registry("item actions")


def actions_for(request, project, actions: list[RowAction]) -> list[tuple[RowAction, str]]:
    from django.urls import reverse

    return [
        (
            action,
            reverse(
                action.url_name,
                kwargs={"tenant_slug": request.tenant.slug, "project_pk": project.pk},
            ),
        )
        for action in actions
        if can(request, action.permission)
    ]
