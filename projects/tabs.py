"""Tabs of the project page; `invoicing` and `reporting` add theirs in AppConfig.ready()."""

from accounts.tabs import TabRegistry

project_tabs = TabRegistry()
