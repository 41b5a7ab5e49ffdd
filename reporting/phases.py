"""The project's phases tab (issue 13, part 1): per phase, what is planned, delivered, invoiced
and remaining, its milestones and whether each is due; and a timeline of phases, events and
milestones (server-rendered SVG, like the report charts).

The figures reuse the one definitions: which places are charged and earned
(`projects.billing`), invoiced = issued revenue lines net of credit notes
(`invoicing.selectors.revenue_lines`), and when a milestone is due (`projects.billing`). It
lives in `reporting` because `projects` may not read invoices."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext

from invoicing.selectors import revenue_lines
from projects.billing import charged_registrations, earned_registrations, milestone_due
from projects.models import EventStatus, Item, MilestoneDue, Phase, PrivateEvent, Registration
from reporting import freshness
from reporting.charts import text_width

ZERO = Decimal(0)


@dataclass
class PhaseRow:
    phase: Phase | None  # None: the rows in no phase
    priced: Decimal = ZERO
    delivered: Decimal = ZERO
    invoiced: Decimal = ZERO
    milestones: list = field(default_factory=list)

    @property
    def planned(self) -> Decimal:
        """The phase's budget when it has one, else what its rows are priced at."""
        if self.phase is not None and self.phase.budget is not None:
            return self.phase.budget
        return self.priced

    @property
    def remaining(self) -> Decimal:
        return self.planned - self.invoiced


def _by_phase(queryset, key: str, value) -> dict:
    """{phase id (None: no phase): total} of a queryset, grouped in the database."""
    return {
        row[key]: row["total"] or ZERO
        for row in queryset.values(key).order_by().annotate(total=value)
    }


def phase_figures(project, *, today: datetime.date | None = None) -> dict:
    """The phases of a project with their figures and milestones (a constant number of
    queries), and the totals."""
    today = today or timezone.localdate()
    live_events = Count("events", filter=~Q(events__status=EventStatus.CANCELLED))
    phases = list(
        Phase.objects.filter(project=project)
        .annotate(live_events=live_events)
        .prefetch_related("milestones__item")
    )
    rows = {phase.pk: PhaseRow(phase) for phase in phases}
    rows[None] = PhaseRow(None)
    registrations = Registration.objects.filter(project=project)
    ordinary = Item.objects.filter(project=project, billable=True, milestone__isnull=True)
    sums = [
        ("priced", registrations.filter(charged_registrations()), "event__phase"),
        ("delivered", registrations.filter(earned_registrations()), "event__phase"),
        ("priced", ordinary, "phase"),
        ("delivered", ordinary.filter(date__lte=today), "phase"),
    ]
    for measure, queryset, key in sums:
        for phase_id, total in _by_phase(queryset, key, Sum("net_amount")).items():
            row = rows[phase_id]
            setattr(row, measure, getattr(row, measure) + total)
    invoiced = (
        revenue_lines()
        .filter(invoice__project=project)
        .values(key=Coalesce("registration__event__phase", "item__phase"))
        .order_by()
        .annotate(total=Sum("net"))
    )
    for entry in invoiced:
        rows[entry["key"]].invoiced += entry["total"] or ZERO
    due = set(
        Item.objects.filter(milestone__phase__project=project)
        .filter(milestone_due(today))
        .values_list("milestone_id", flat=True)
    )
    for phase in phases:
        for milestone in phase.milestones.all():
            item = getattr(milestone, "item", None)
            milestone.billed = item.unit_price if item else ZERO
            milestone.on_invoice = bool(item and item.invoiced)
            milestone.is_due = milestone.pk in due
            # Due on delivery with nothing to deliver: say so rather than "0 of 0 delivered".
            milestone.waiting_for_events = (
                milestone.due == MilestoneDue.EVENTS_DELIVERED and not phase.live_events
            )
            rows[phase.pk].milestones.append(milestone)
    unphased = rows.pop(None)
    listed = list(rows.values())
    if unphased.priced or unphased.delivered or unphased.invoiced:
        listed.append(unphased)
    totals = PhaseRow(None)
    for row in listed:
        totals.priced += row.planned
        totals.delivered += row.delivered
        totals.invoiced += row.invoiced
    return {"phase_rows": listed, "phase_totals": totals, "has_phases": bool(phases)}


# --- Timeline -----------------------------------------------------------------------------------

WIDTH, ROW, TOP, SIZE = 900, 24, 28, 12
COLOURS = {
    EventStatus.PLANNED: "#9db4e8",
    EventStatus.CONFIRMED: "#2f5fd0",
    EventStatus.DELIVERED: "#1e7b4f",
    EventStatus.CANCELLED: "#bbbbbb",
}


def _months(first: datetime.date, last: datetime.date):
    day = first.replace(day=1)
    while day <= last:
        yield day
        day = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def timeline(project, phase_rows) -> dict | None:
    """A Gantt-like chart: each phase a bar with its events below it and its milestones as
    diamonds on their due dates (one due on delivery sits at the phase's end), a line per
    month. Positions are worked out here; the template only draws. None without phases or
    events."""
    phases = [row.phase for row in phase_rows if row.phase is not None]
    events = list(PrivateEvent.objects.filter(project=project).order_by("start_date", "pk"))
    if not phases and not events:
        return None
    by_phase = defaultdict(list)
    for event in events:
        by_phase[event.phase_id].append(event)
    lines = []  # (kind, label, start, end, object)
    for row in phase_rows:
        if row.phase is None:
            continue
        lines.append(("phase", row.phase.name, row.phase.start_date, row.phase.end_date, row))
        lines += [("event", e.title, e.start_date, e.end_date, e) for e in by_phase[row.phase.pk]]
    if by_phase[None] and phases:
        # A heading of their own, so they do not read as the last phase's events.
        unphased = by_phase[None]
        start, end = min(e.start_date for e in unphased), max(e.end_date for e in unphased)
        lines.append(("heading", gettext("Not in a phase"), start, end, None))
    lines += [("event", e.title, e.start_date, e.end_date, e) for e in by_phase[None]]
    first = min([project.start_date, *(line[2] for line in lines)])
    last = max([project.end_date, *(line[3] for line in lines)])
    span = (last - first).days + 1
    labels = [("  " if kind == "event" else "") + label[:40] for kind, label, *_ in lines]
    left = 16 + max(text_width(label, SIZE) for label in labels)
    right = WIDTH - 16
    scale = (right - left) / span

    def x(day: datetime.date, end: bool = False) -> float:
        return round(left + ((day - first).days + (1 if end else 0)) * scale, 1)

    bars, diamonds = [], []
    for index, ((kind, _label, start, end, obj), label) in enumerate(
        zip(lines, labels, strict=True)
    ):
        y = TOP + index * ROW
        bars.append(
            {
                "kind": kind,
                "label": label.strip(),
                "indent": 24 if kind == "event" else 8,
                "x": x(start),
                "y": y + (4 if kind == "phase" else 7),
                "width": max(x(end, end=True) - x(start), 4),
                "height": 16 if kind == "phase" else 10,
                "fill": COLOURS[obj.status] if kind == "event" else "#1d2433",
                "title": f"{label.strip()}: {start:%d %b %Y} – {end:%d %b %Y}",
                "text_y": y + 16,
            }
        )
        if kind == "phase":
            for milestone in obj.milestones:
                day = (
                    milestone.due_date
                    if milestone.due == MilestoneDue.ON_DATE
                    else obj.phase.end_date
                )
                cx, cy = x(day), y + 12
                diamonds.append(
                    {
                        "points": f"{cx},{cy - 8} {cx + 8},{cy} {cx},{cy + 8} {cx - 8},{cy}",
                        "fill": "#d08a00" if not milestone.on_invoice else "#1e7b4f",
                        "title": f"M{milestone.number} {milestone.name}",
                    }
                )
    height = TOP + len(lines) * ROW + 8
    months = [
        {"x": x(day), "label": f"{day:%b %y}"} for day in _months(first, last) if day >= first
    ]
    today = timezone.localdate()
    return {
        "width": WIDTH,
        "height": height,
        "left": round(left, 1),
        "bars": bars,
        "diamonds": diamonds,
        "months": months,
        "today_x": x(today) if first <= today <= last else None,
        "bottom": height - 4,
    }


def project_phases_context(request, project) -> dict:
    # Sums over every row of the project, per phase: figures, cached until the next write.
    figures = freshness.cached("phases", phase_figures, project=project)
    return {**figures, "timeline": timeline(project, figures["phase_rows"])}
