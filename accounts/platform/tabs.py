"""Tabs of detail pages (account, booking, project), registered by the apps whose data they show.

`accounts` may not import the apps above it, so `agreements`, `projects` and `invoicing` register
their account tabs in their `AppConfig.ready()`; the account page shows whatever is registered.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.http import HttpRequest

from accounts.platform.registry import Registry


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    order: int
    template_name: str
    # Returns the extra context the tab's template needs; runs inside the tenant scope.
    get_context: Callable[[HttpRequest, object], dict] = field(default=lambda request, account: {})
    icon: str = "bi-circle"
    # A permission the tab needs (e.g. SEE_MONEY); without it the tab is neither listed nor served.
    permission: str | None = None


def TabRegistry(name: str = "tabs") -> Registry[Tab]:
    return Registry(name)


account_tabs: Registry[Tab] = Registry("account tabs")
