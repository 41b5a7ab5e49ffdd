"""Tabs of the booking page; `projects` adds its own in its AppConfig.ready()."""

from accounts.tabs import TabRegistry

booking_tabs = TabRegistry()
