"""How an audit entry's values read on a page (issue 17: an invoice's history showed
"net: -540.000", and a changed line's old values not at all).

`{% for change in entry|audit_changes:invoice.currency %}` gives each recorded value once, with
its label ("unit price"), its value before the change where there was one, and its value after;
money as money in the given currency (-€540.00), quantities without trailing zeros, dates as
dates. This is the one place audit values are turned into text."""

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal

from django import template
from django.utils.dateformat import format as format_date

from accounts.templatetags.money import money

register = template.Library()

DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
DECIMAL = re.compile(r"-?\d+\.\d+")

# The keys under which services record money amounts (`audit(after={"net": ...})`).
MONEY_KEYS = frozenset(
    {
        "net",
        "gross",
        "tax",
        "total",
        "amount",
        "unit_price",
        "net_amount",
        "price",
        "default_price",
        "unit_cost",
        "value",
    }
)


@dataclass(frozen=True)
class Change:
    label: str
    before: str | None  # None: nothing recorded before (a new value)
    after: str | None  # None: nothing recorded after (a removed value)

    def __str__(self) -> str:
        """ "quantity: 2 → 1", "net: -€540.00", or "status: was draft"."""
        if self.before is not None and self.after is not None:
            return f"{self.label}: {self.before} → {self.after}"
        if self.after is not None:
            return f"{self.label}: {self.after}"
        return f"{self.label}: was {self.before}"


def show(key: str, value, currency: str | None = None) -> str:
    """One recorded value as text."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key in MONEY_KEYS and currency:
        return money(value, currency)
    text = str(value)
    if DATE.fullmatch(text):
        return format_date(datetime.date.fromisoformat(text), "j M Y")
    if DECIMAL.fullmatch(text):  # a quantity or percentage: 2.00 → 2, 1.50 → 1.5
        return f"{Decimal(text).normalize():f}"
    return text


@register.filter
def audit_changes(entry, currency=None) -> list[Change]:
    """The entry's values, each once: unchanged ones (e.g. which line) as they were, changed
    ones with the value before and after."""
    before, after = entry.before or {}, entry.after or {}
    changes = []
    for key in [*after, *(key for key in before if key not in after)]:
        label = key.replace("_", " ")
        old = show(key, before[key], currency) if key in before else None
        new = show(key, after[key], currency) if key in after else None
        if old is not None and new is not None and old == new:
            changes.append(Change(label, None, new))  # the same before and after: said once
        else:
            changes.append(Change(label, old, new))
    return changes
