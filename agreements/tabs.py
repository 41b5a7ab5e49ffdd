"""Tabs of the booking page; `projects` adds its own in its AppConfig.ready()."""

from accounts.platform.registry import Registry
from accounts.platform.tabs import Tab

booking_tabs: Registry[Tab] = Registry("booking tabs")
