"""One registry type for everything a higher app adds to a lower app's pages or rules: tabs,
dashboard and overview panels, row actions, and hooks such as the discount place counter.

A lower app owns the registry; a higher app fills it in its `AppConfig.ready()`, so the lower
app never imports the higher one (DESIGN.md, "Layout"). Every entry has a key; registering a key
twice is a mistake (two apps claiming one tab, a copied block left behind) and is refused with
an error at start-up, never silently overwritten.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

from django.core.exceptions import ImproperlyConfigured

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, name: str):
        self.name = name
        self._entries: dict[str, T] = {}

    def register(self, entry: T, *, key: str | None = None) -> T:
        """Add `entry` under `key` (default: the entry's own `key` attribute)."""
        key = key if key is not None else entry.key
        if key in self._entries:
            raise ImproperlyConfigured(
                f"{self.name}: “{key}” is registered already ({self._entries[key]!r}); "
                "give the new entry another key."
            )
        self._entries[key] = entry
        return entry

    def get(self, key: str) -> T | None:
        return self._entries.get(key)

    def all(self) -> list[T]:
        """The entries, by their `order` attribute where they have one, else as registered."""
        entries = list(self._entries.values())
        return sorted(entries, key=lambda entry: getattr(entry, "order", 0))

    def __iter__(self) -> Iterator[T]:
        return iter(self.all())

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: str) -> bool:
        return key in self._entries


class Hook(Generic[T]):
    """A registry of exactly one callable that a higher app provides (e.g. how many discounted
    places a customer used, counted by `projects`). Registering a second one is refused."""

    def __init__(self, name: str):
        self._registry: Registry[T] = Registry(name)

    def register(self, function: T) -> T:
        return self._registry.register(function, key="hook")

    @property
    def function(self) -> T | None:
        return self._registry.get("hook")
