"""Custom reports: the user picks dimensions, measures and filters; the result is a table (and a
chart) with one row per combination of dimension values and currency.

Facts come from `reporting.selectors.facts` (the one definition of revenue, cost and profit) at
project, product, event and month grain, then are rolled up in Python by the chosen dimensions.
Currency is always part of a row's key: amounts in different currencies are never added together.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from agreements.models import Product
from projects.models import PrivateEvent, Project
from reporting.selectors import GRAIN, Figures, facts

DIMENSIONS = {
    "project": "Project",
    "account": "Customer",
    "region": "Region",
    "product": "Product",
    "package": "Training package",
    "event": "Event",
    "month": "Month",
    "quarter": "Quarter",
}
MEASURES = {
    "places": "Places delivered",
    "invoiced": "Revenue invoiced",
    "recognised": "Revenue recognised",
    "cost": "Cost",
    "profit": "Profit",
    "margin": "Margin %",
}
MONEY_MEASURES = {"invoiced", "recognised", "cost", "profit"}


@dataclass
class Definition:
    dimensions: list[str] = field(default_factory=lambda: ["product"])
    measures: list[str] = field(default_factory=lambda: ["places", "invoiced"])
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    status: str = ""
    account_id: int | None = None
    tag: str = ""

    @classmethod
    def from_data(cls, data: dict) -> "Definition":
        def day(value):
            return datetime.date.fromisoformat(value) if value else None

        dimensions = [d for d in data.get("dimensions", []) if d in DIMENSIONS] or ["product"]
        measures = [m for m in data.get("measures", []) if m in MEASURES] or ["places"]
        account = data.get("account_id")
        return cls(
            dimensions=dimensions,
            measures=measures,
            date_from=day(data.get("date_from")),
            date_to=day(data.get("date_to")),
            status=data.get("status") or "",
            account_id=int(account) if account else None,
            tag=data.get("tag") or "",
        )

    def to_data(self) -> dict:
        return {
            "dimensions": self.dimensions,
            "measures": self.measures,
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
            "status": self.status,
            "account_id": self.account_id,
            "tag": self.tag,
        }


@dataclass
class Result:
    columns: list[str]
    rows: list[tuple[list[str], str, Figures]]


def _projects(definition: Definition):
    projects = Project.objects.all()
    if definition.status:
        projects = projects.filter(status=definition.status)
    if definition.account_id:
        projects = projects.filter(account_id=definition.account_id)
    if definition.tag:
        projects = projects.filter(tags__icontains=definition.tag)
    return projects


def run(definition: Definition) -> Result:
    """The figures of `reporting.selectors.facts` (the one profitability definition) at the
    finest grain, rolled up by the chosen dimensions."""
    cells = facts(
        grain=GRAIN,
        projects=_projects(definition).values("pk"),
        date_from=definition.date_from,
        date_to=definition.date_to,
    )
    projects = {
        p.pk: p
        for p in Project.objects.select_related("account", "region").filter(
            pk__in={k[0] for k in cells}
        )
    }
    products = {
        p.pk: p
        for p in Product.objects.select_related("package").filter(
            pk__in={k[1] for k in cells if k[1]}
        )
    }
    events = {e.pk: e for e in PrivateEvent.objects.filter(pk__in={k[2] for k in cells if k[2]})}
    grouped: dict = {}
    for (project_id, product_id, event_id, month), cell in cells.items():
        project = projects[project_id]
        labels = [
            _label(dimension, project, products.get(product_id), events.get(event_id), month)
            for dimension in definition.dimensions
        ]
        entry = grouped.setdefault((tuple(labels), project.currency), Figures())
        entry.add(cell)
    rows = [
        (list(labels), currency, cell)
        for (labels, currency), cell in sorted(
            grouped.items(), key=lambda item: (item[0][0], item[0][1])
        )
    ]
    return Result(columns=[DIMENSIONS[d] for d in definition.dimensions], rows=rows)


def _label(dimension, project, product, event, month) -> str:
    if dimension == "project":
        return f"{project.code} {project.name}"
    if dimension == "account":
        return project.account.name
    if dimension == "region":
        return project.region.name if project.region_id else "No region"
    if dimension == "product":
        return f"{product.code} {product.name}" if product else "Handling fees"
    if dimension == "package":
        return product.package.name if product and product.package_id else "No package"
    if dimension == "event":
        return f"{event.title} ({event.start_date:%d %b %Y})" if event else "No event"
    if dimension == "month":
        return f"{month:%Y-%m}" if month else "—"
    if dimension == "quarter":
        return f"{month.year}-Q{(month.month - 1) // 3 + 1}" if month else "—"
    raise ValueError(dimension)


def measure_value(cell: Figures, measure: str):
    if measure == "margin":
        margin = cell.margin
        return None if margin is None else margin.quantize(Decimal("0.1"))
    return getattr(cell, measure)


def _figure(value) -> str:
    return f"{Decimal(value):,.0f}" if value is not None else "—"


DASHES = ["", "6 4", "2 3", "10 3 2 3"]


def chart(result: Result, measure: str, kind: str = "bar", limit: int = 20) -> dict:
    """Geometry of a server-rendered SVG chart of one measure. Bars: the largest rows first.
    Lines: one per currency (amounts are never mixed), told apart by dash pattern and label, so
    the chart reads without colour. Every bar and point carries its value."""
    if kind == "bar":
        points = sorted(
            (
                (" · ".join(labels) + f" ({currency})", measure_value(cell, measure) or 0)
                for labels, currency, cell in result.rows
            ),
            key=lambda p: p[1],
            reverse=True,
        )[:limit]
        values = [float(v) for _, v in points] or [0.0]
        top, bottom = max(max(values), 0.0), min(min(values), 0.0)
        span = (top - bottom) or 1.0
        bars = []
        for index, (label, value) in enumerate(points):
            width = max(abs(float(value)) / span * 460, 1)
            x = 300 + (min(float(value), 0.0) - bottom) / span * 460
            bars.append(
                {
                    "label": label[:48],
                    "value": _figure(value),
                    "x": round(x, 1),
                    "y": 10 + index * 26,
                    "width": round(width, 1),
                    "text_x": round(x + width + 6, 1),
                }
            )
        return {"kind": "bar", "bars": bars, "height": 20 + len(bars) * 26}
    categories = sorted({" · ".join(labels) for labels, _, _ in result.rows})[:60]
    by_currency: dict = defaultdict(dict)
    for labels, currency, cell in result.rows:
        by_currency[currency][" · ".join(labels)] = measure_value(cell, measure) or 0
    values = [float(v) for series in by_currency.values() for v in series.values()] or [0.0]
    top, bottom = max(max(values), 0.0), min(min(values), 0.0)
    span = (top - bottom) or 1.0
    step = 700 / max(len(categories) - 1, 1)
    series = []
    for index, (currency, values_by_category) in enumerate(sorted(by_currency.items())):
        points = [
            (
                round(60 + categories.index(c) * step, 1),
                round(230 - (float(v) - bottom) / span * 200, 1),
                _figure(v),
            )
            for c, v in values_by_category.items()
            if c in categories
        ]
        points.sort()
        series.append(
            {
                "currency": currency,
                "dash": DASHES[index % len(DASHES)],
                "points": points,
                "polyline": " ".join(f"{x},{y}" for x, y, _ in points),
                "legend_y": 20 + index * 16,
            }
        )
    every = max(1, len(categories) // 12)
    ticks = [
        (round(60 + i * step, 1), label[:10])
        for i, label in enumerate(categories)
        if i % every == 0
    ]
    return {"kind": "line", "series": series, "ticks": ticks, "height": 290}
