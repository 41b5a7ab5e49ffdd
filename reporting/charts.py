"""Server-rendered SVG charts of a custom report: one chart per chosen measure (places, money
and margin never share an axis), bars or lines per currency.

Issue 17: labels were clipped at both ends, only the first measure was charted, and the line
chart spaced months evenly while leaving out empty months. Here the margins are worked out from
the texts they hold (an estimate of their width, the same for every text), and a month or quarter
axis runs through every period from the first to the last: a period without figures is zero
(a sum of nothing), or a gap in the line for the margin (undefined without revenue)."""

from __future__ import annotations

import datetime
import math
import re
from collections import defaultdict
from decimal import Decimal

DASHES = ["", "6 4", "2 3", "10 3 2 3"]
GAPS = {"margin"}  # measures that are undefined, not zero, where nothing happened
BAR_WIDTH, LINE_WIDTH = 900, 800
MAX_LABEL = 48  # characters of a bar's label


def text_width(text: str, size: float) -> float:
    """The width a text takes at `size` px, generously (a wide sans-serif glyph is 0.62 em)."""
    return len(text) * size * 0.62


def figure(value) -> str:
    return f"{Decimal(value):,.0f}" if value is not None else "—"


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _bar_label(labels: list[str], currency: str) -> str:
    """A bar's label within MAX_LABEL characters: the first dimension's text (a product's or a
    project's long name) is shortened, never what follows it (the quarter, the event's date,
    the currency), which tells two bars of the same product apart."""
    tail = "".join(f" · {label}" for label in labels[1:]) + f" ({currency})"
    return _short(labels[0] if labels else "", max(MAX_LABEL - len(tail), 12)) + tail


def charts(result, measures, labels: dict, kind: str, dimensions) -> list[dict]:
    """One chart per measure, in the order chosen, each naming its measure."""
    return [
        {**chart(result, measure, kind, dimensions=dimensions), "measure": labels[measure]}
        for measure in measures
    ]


def chart(result, measure: str, kind: str = "bar", limit: int = 20, dimensions=()) -> dict:
    from reporting.custom import measure_value

    if kind == "bar":
        return _bars(
            [
                (_bar_label(labels, currency), measure_value(cell, measure))
                for labels, currency, cell in result.rows
            ],
            limit,
        )
    rows = [
        (" · ".join(labels), currency, measure_value(cell, measure))
        for labels, currency, cell in result.rows
    ]
    return _lines(rows, measure, list(dimensions))


def _bars(rows, limit) -> dict:
    """Bars, the largest first; each with its label on the left and its value at its end."""
    points = sorted(
        ((label, value or 0) for label, value in rows),
        key=lambda point: point[1],
        reverse=True,
    )[:limit]
    size = 12
    labels = [label for label, _ in points]
    texts = [figure(value) for _, value in points]
    values = [float(value) for _, value in points] or [0.0]
    top, bottom = max(max(values), 0.0), min(min(values), 0.0)
    span = (top - bottom) or 1.0
    label_end = 8 + max((text_width(label, size) for label in labels), default=0)
    value_room = 8 + max((text_width(text, size) for text in texts), default=0)
    left = label_end + 10 + (value_room if bottom < 0 else 0)
    right = BAR_WIDTH - 8 - (value_room if top > 0 else 0)
    scale = (right - left) / span
    zero = left - bottom * scale
    bars = []
    for index, ((_, value), label, text) in enumerate(zip(points, labels, texts, strict=True)):
        width = max(abs(float(value)) * scale, 1)
        x = zero if value >= 0 else zero - width
        bars.append(
            {
                "label": label,
                "value": text,
                "x": round(x, 1),
                "y": 10 + index * 26,
                "width": round(width, 1),
                "text_x": round(x + width + 6 if value >= 0 else x - 6, 1),
                "anchor": "start" if value >= 0 else "end",
            }
        )
    return {
        "kind": "bar",
        "bars": bars,
        "rows": len(rows),  # the chart shows the largest `limit`; the page says how many of all
        "label_x": round(label_end, 1),
        "width": BAR_WIDTH,
        "height": 20 + len(bars) * 26,
    }


def _periods(labels, dimensions) -> list[str] | None:
    """Every month (or quarter) from the first label to the last, when the report's one
    dimension is time; None otherwise (the categories are then spaced evenly, as found)."""
    if dimensions == ["month"] and all(re.fullmatch(r"\d{4}-\d{2}", x) for x in labels):
        first, last = min(labels), max(labels)
        day = datetime.date(int(first[:4]), int(first[5:]), 1)
        periods = []
        while f"{day:%Y-%m}" <= last:
            periods.append(f"{day:%Y-%m}")
            day = (day + datetime.timedelta(days=32)).replace(day=1)
        return periods
    if dimensions == ["quarter"] and all(re.fullmatch(r"\d{4}-Q[1-4]", x) for x in labels):
        first, last = min(labels), max(labels)
        year, quarter, periods = int(first[:4]), int(first[-1]), []
        while f"{year}-Q{quarter}" <= last:
            periods.append(f"{year}-Q{quarter}")
            year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
        return periods
    return None


def _lines(rows, measure, dimensions) -> dict:
    """A line per currency over the categories (a time axis where the dimension is time)."""
    found = sorted({label for label, _, _ in rows})
    periods = _periods(found, dimensions) if found else None
    categories = (periods or found)[:60]
    by_currency: dict = defaultdict(dict)
    for label, currency, value in rows:
        by_currency[currency][label] = value
    missing = None if measure in GAPS else 0
    series_values = {
        currency: [values.get(c, missing) if periods else values.get(c) for c in categories]
        for currency, values in sorted(by_currency.items())
    }
    numbers = [float(v) for vs in series_values.values() for v in vs if v is not None] or [0.0]
    top, bottom = max(max(numbers), 0.0), min(min(numbers), 0.0)
    span = (top - bottom) or 1.0
    ticks_text = [_short(label, 10) for label in categories]
    # Room at each end for the texts centred on the first and last points.
    end_texts = [(ticks_text[i], 10) for i in (0, len(categories) - 1) if categories] + [
        (figure(vs[i]), 9)
        for vs in series_values.values()
        for i in (0, len(vs) - 1)
        if vs and vs[i] is not None
    ]
    margin = 8 + max((text_width(text, size) / 2 for text, size in end_texts), default=0)
    left, right = max(margin, 20), LINE_WIDTH - max(margin, 20)
    step = (right - left) / max(len(categories) - 1, 1)
    # Every n-th category is named, and its points' values written, so that no two texts
    # meet (two years of months ran together as "2026-012026-02…"; a browser review).
    widest = max(
        [text_width(text, 10) for text in ticks_text]
        + [text_width(figure(v), 9) for vs in series_values.values() for v in vs if v is not None],
        default=0,
    )
    every = max(1, math.ceil((widest + 6) / step)) if len(categories) > 1 else 1
    legend_height = 16 * len(series_values)
    plot_top = 12 + legend_height + 14  # the values over the highest points fit below the legend
    plot_bottom = plot_top + 200

    def y_of(value) -> float:
        return round(plot_bottom - (float(value) - bottom) / span * 200, 1)

    series = []
    for index, (currency, values) in enumerate(series_values.items()):
        points, segments, current = [], [], []
        for position, value in enumerate(values):
            if value is None:  # a gap: the line stops and starts again
                if current:
                    segments.append(current)
                current = []
                continue
            shown = position % every == 0
            point = (round(left + position * step, 1), y_of(value), figure(value) if shown else "")
            points.append(point)
            current.append(point)
        if current:
            segments.append(current)
        series.append(
            {
                "currency": currency,
                "dash": DASHES[index % len(DASHES)],
                "points": points,
                "polylines": [" ".join(f"{x},{y}" for x, y, _ in part) for part in segments],
                "legend_y": 14 + index * 16,
            }
        )
    ticks = [
        (round(left + i * step, 1), text) for i, text in enumerate(ticks_text) if i % every == 0
    ]
    return {
        "kind": "line",
        "series": series,
        "ticks": ticks,
        "left": round(left, 1),
        "right": round(right, 1),
        "axis_y": plot_bottom + 5,
        "zero_y": y_of(0),
        "tick_y": plot_bottom + 22,
        "width": LINE_WIDTH,
        "height": plot_bottom + 34,
        "legend_x": round(left, 1),
    }
