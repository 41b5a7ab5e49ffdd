"""Custom reports: the user picks dimensions, measures and filters; the result is a table (and a
chart) with one row per combination of dimension values and currency.

Facts come from `reporting.selectors.facts` (the one definition of revenue, cost and profit) at
project, product, event and month grain, then are rolled up in Python by the chosen dimensions.
Currency is always part of a row's key: amounts in different currencies are never added together.
"""

import datetime
from dataclasses import dataclass, field

from agreements.models import Product
from projects.models import PrivateEvent, Project
from reporting.selectors import GRAIN, Figures, facts

DIMENSIONS = {
    "project": "Project",
    "account": "Customer",
    "region": "Region",
    "project_class": "Project class",
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
    project_class: int | None = None
    # Reports leave finished projects out unless asked (issue 13, part 6).
    include_finished: bool = False

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
            project_class=int(data["project_class"]) if data.get("project_class") else None,
            include_finished=bool(data.get("include_finished")),
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
            "project_class": self.project_class,
            "include_finished": self.include_finished,
        }


@dataclass
class Result:
    columns: list[str]
    rows: list[tuple[list[str], str, Figures]]


def _projects(definition: Definition, projects=None):
    """The projects the report covers: of `projects` (those shared with the member), as the
    definition filters them."""
    projects = Project.objects.all() if projects is None else projects
    if not definition.include_finished:
        projects = projects.unfinished()
    if definition.project_class:
        projects = projects.filter(project_class_id=definition.project_class)
    if definition.status:
        projects = projects.filter(status=definition.status)
    if definition.account_id:
        projects = projects.filter(account_id=definition.account_id)
    if definition.tag:
        projects = projects.filter(tags__icontains=definition.tag)
    return projects


# The part of the facts' key (`reporting.selectors.GRAIN`) each dimension is read from. The
# project is always in it: a row's currency is its project's.
KEY_PART = {
    "project": "project",
    "account": "project",
    "region": "project",
    "project_class": "project",
    "product": "product",
    "package": "product",
    "event": "event",
    "month": "month",
    "quarter": "month",
}


def grain_of(dimensions: list[str]) -> tuple[str, ...]:
    """The coarsest grain of `facts` the dimensions can be read from: summed in SQL, fewer
    rows than the finest grain (a large company has 23,000 events: the report took 2 s to fetch
    and roll them up when it showed products by quarter; issue 18)."""
    parts = {"project"} | {KEY_PART[dimension] for dimension in dimensions}
    return tuple(part for part in GRAIN if part in parts)


def run(definition: Definition, projects=None) -> Result:
    """The figures of `reporting.selectors.facts` (the one profitability definition) at the
    grain the chosen dimensions need, rolled up by them; `projects`: those the reader may
    see."""
    grain = grain_of(definition.dimensions)
    cells = facts(
        grain=grain,
        projects=_projects(definition, projects).values("pk"),
        date_from=definition.date_from,
        date_to=definition.date_to,
    )
    projects = {
        p.pk: p
        for p in Project.objects.select_related("account", "region", "project_class").filter(
            pk__in={k[0] for k in cells}
        )
    }
    products = {}
    if "product" in grain:
        products = {
            p.pk: p
            for p in Product.objects.select_related("package").filter(
                pk__in={k[1] for k in cells if k[1]}
            )
        }
    events = {}
    if "event" in grain:
        events = {
            e.pk: e
            for e in PrivateEvent.objects.filter(pk__in={k[2] for k in cells if k[2]}).only(
                "tenant", "title", "start_date"
            )
        }
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
    if dimension == "project_class":
        return project.project_class.name if project.project_class_id else "No class"
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
        return cell.margin_shown
    return getattr(cell, measure)


# The charts of a report: reporting.charts (re-exported here for the views and tests).
from reporting.charts import DASHES, chart, charts  # noqa: E402,F401
