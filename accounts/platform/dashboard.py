"""Panels of the tenant dashboard, registered by the apps whose figures they show (reporting
adds revenue, work not yet invoiced, overdue invoices and projects to watch)."""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest

from accounts.platform.registry import Registry


@dataclass(frozen=True)
class Panel:
    key: str
    order: int
    template_name: str
    get_context: Callable[[HttpRequest], dict]
    permission: str | None = None  # e.g. SEE_MONEY: shown only to roles that have it


panels: Registry[Panel] = Registry("dashboard panels")
