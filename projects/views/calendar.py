"""The events calendar: a month (or a week) of the company's private events, each with its
places and status at a glance, filtered by project, customer, trainer or venue; an event that
shares its trainer or venue with another on the same days is flagged."""

import calendar
import datetime
from collections import defaultdict
from urllib.parse import urlencode

from django.shortcuts import render
from django.utils import timezone
from django.views import View

from accounts.platform.tables import choice_label
from accounts.platform.views import TenantViewMixin
from projects.access import shared_with
from projects.selectors import CALENDAR_LIMIT, calendar_event_details, calendar_events

FILTERS = ("project", "customer", "trainer", "venue")
# A day shows at most this many events, then "+ N more": a month of a large company held 700
# events (half a second to render, and no one reads 25 cards in a day's square). The month
# links each full day to its week; the week asks to narrow with the filters.
PER_DAY = {"month": 3, "week": 12}


YEARS = range(1900, 2201)  # the calendar pages through these; anything else shows today


def _month(value: str, today: datetime.date) -> datetime.date:
    try:
        year, month = (int(part) for part in value.split("-")[:2])
        if year in YEARS:
            return datetime.date(year, month, 1)
    except (TypeError, ValueError):
        pass
    return today.replace(day=1)


def _day(value: str, today: datetime.date) -> datetime.date:
    try:
        day = datetime.date.fromisoformat(value)
        if day.year in YEARS:
            return day
    except (TypeError, ValueError):
        pass
    return today


class CalendarView(TenantViewMixin, View):
    template_name = "projects/calendar.html"

    def get(self, request):
        today = timezone.localdate()
        filters = {name: request.GET.get(name, "")[:100] for name in FILTERS}
        week = request.GET.get("view") == "week"
        if week:
            day = _day(request.GET.get("week", ""), today)
            start = day - datetime.timedelta(days=day.weekday())
            end = start + datetime.timedelta(days=6)
            previous = {"view": "week", "week": (start - datetime.timedelta(days=7)).isoformat()}
            following = {"view": "week", "week": (start + datetime.timedelta(days=7)).isoformat()}
            title = f"Week of {start:%-d %b %Y}"
        else:
            first = _month(request.GET.get("month", ""), today)
            last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
            start = first - datetime.timedelta(days=first.weekday())
            end = last + datetime.timedelta(days=6 - last.weekday())
            back = (first - datetime.timedelta(days=1)).replace(day=1)
            ahead = last + datetime.timedelta(days=1)
            previous = {"month": f"{back:%Y-%m}"}
            following = {"month": f"{ahead:%Y-%m}"}
            title = f"{first:%B %Y}"
        events = calendar_events(start, end, shared=shared_with(request), **filters)
        limited = len(events) > CALENDAR_LIMIT
        events = events[:CALENDAR_LIMIT]
        clashes = _clashes(events)
        by_day = defaultdict(list)
        for event in events:
            day = max(event.start_date, start)
            while day <= min(event.end_date, end):
                by_day[day].append(event)
                day += datetime.timedelta(days=1)
        kept = {name: value for name, value in filters.items() if value}
        shown = PER_DAY["week" if week else "month"]
        details = calendar_event_details(
            {event.pk for on_day in by_day.values() for event in on_day[:shown]}
        )
        for event in details.values():
            event.clashes = clashes.get(event.pk, [])
            event.status_label = choice_label(event, "status")
        days = [start + datetime.timedelta(days=n) for n in range((end - start).days + 1)]
        cells = [_day_cell(day, by_day.get(day, []), shown, details, week, kept) for day in days]
        weeks = [cells[i : i + 7] for i in range(0, len(cells), 7)]
        return render(
            request,
            self.template_name,
            {
                "title": title,
                "weeks": weeks,
                "week_view": week,
                "month_start": None if week else _month(request.GET.get("month", ""), today),
                "today": today,
                "filters": filters,
                "previous_query": urlencode({**previous, **kept}),
                "next_query": urlencode({**following, **kept}),
                "switch_query": urlencode(
                    {**({} if week else {"view": "week", "week": start.isoformat()}), **kept}
                ),
                "event_count": len(events),
                "event_limit": limited,
            },
        )


def _day_cell(day, events, shown: int, details: dict, week: bool, kept: dict) -> dict:
    """One day's square: its first `shown` events (loaded in full), how many more it has and,
    in the month, the week that shows them."""
    more = max(len(events) - shown, 0)
    return {
        "day": day,
        # An event deleted between the two queries is left out, not an error.
        "events": [details[event.pk] for event in events[:shown] if event.pk in details],
        "more": more,
        "more_query": ""
        if week or not more
        else urlencode({"view": "week", "week": day.isoformat(), **kept}),
    }


def _clashes(events) -> dict[int, list[str]]:
    """{event id: "trainer Ruth Okafor", "venue Room 2", …} for events that share a trainer or a
    venue with another event of these on an overlapping day (from the rows already loaded)."""
    found: dict[int, list[str]] = defaultdict(list)
    for field in ("trainer", "venue"):
        groups = defaultdict(list)
        for event in events:
            value = (getattr(event, field) or "").strip().lower()
            if value and event.status != "cancelled":
                groups[value].append(event)
        for same in groups.values():
            for index, event in enumerate(same):
                for other in same[index + 1 :]:
                    if other.start_date <= event.end_date and event.start_date <= other.end_date:
                        label = f"{field} {getattr(event, field)}"
                        if label not in found[event.pk]:
                            found[event.pk].append(label)
                        if label not in found[other.pk]:
                            found[other.pk].append(label)
    return found
