"""Tabs of detail pages (account, booking, project), registered by the apps whose data they show.

`accounts` may not import the apps above it, so `agreements`, `projects` and `invoicing` register
their account tabs in their `AppConfig.ready()`; the account page shows whatever is registered.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.http import HttpRequest


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


class TabRegistry:
    def __init__(self):
        self._tabs: dict[str, AccountTab] = {}

    def register(self, tab: Tab) -> None:
        """Add a tab; a second tab with the same key is a mistake, refused at start-up."""
        from django.core.exceptions import ImproperlyConfigured

        if tab.key in self._tabs:
            raise ImproperlyConfigured(
                f"A tab “{tab.key}” is registered already ({self._tabs[tab.key].label}); "
                "give the new one another key."
            )
        self._tabs[tab.key] = tab

    def all(self) -> list[Tab]:
        return sorted(self._tabs.values(), key=lambda tab: tab.order)

    def get(self, key: str) -> Tab | None:
        return self._tabs.get(key)


account_tabs = TabRegistry()

# Kept for the apps that registered account tabs under this name.
AccountTab = Tab
