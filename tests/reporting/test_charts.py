"""Issue 17: chart labels were clipped at both ends, only the first measure was charted, and
the line chart spaced months evenly while leaving out empty months."""

import itertools
import re
from decimal import Decimal

from accounts.platform.tenancy import activate
from reporting.charts import chart, text_width
from reporting.custom import Definition, Result, run
from reporting.selectors import Figures


def _result(rows):
    """A report's result from (labels, currency, invoiced) rows."""
    return Result(
        columns=["Month"],
        rows=[(labels, currency, Figures(invoiced=Decimal(v))) for labels, currency, v in rows],
    )


def _inside(left, right, width):
    assert left >= 0 and right <= width, (left, right, width)


def test_bar_labels_and_values_stay_inside_the_chart():
    long = "Clinical leadership framework 2025–2028: leadership academy, cohort 12"
    result = _result(
        [([long], "EUR", "1234567"), (["Short"], "EUR", "-98765"), (["Mid size"], "GBP", "5")]
    )
    bars = chart(result, "invoiced", "bar")
    for bar in bars["bars"]:
        _inside(bars["label_x"] - text_width(bar["label"], 12), bars["label_x"], bars["width"])
        size = text_width(bar["value"], 12)
        if bar["anchor"] == "start":
            _inside(bar["text_x"], bar["text_x"] + size, bars["width"])
        else:
            _inside(bar["text_x"] - size, bar["text_x"], bars["width"])
            assert bar["text_x"] - size > bars["label_x"], "a negative value clears the labels"
        assert bar["x"] > bars["label_x"]
    assert bars["bars"][0]["label"].endswith("… (EUR)") and len(bars["bars"][0]["label"]) == 48


def test_a_shortened_bar_label_keeps_what_tells_its_bars_apart():
    """The first dimension's long name is cut, not the quarter or the currency after it (two
    bars of one product read alike when the end was cut; a browser review)."""
    name = "APP-300 Team leader apprenticeship (funded)"
    result = _result(
        [([name, "2026-Q2"], "GBP", "24"), ([name, "2026-Q3"], "GBP", "12"), (["X", "Q"], "EUR", 1)]
    )
    labels = [bar["label"] for bar in chart(result, "invoiced", "bar")["bars"]]
    assert labels[0].endswith("… · 2026-Q2 (GBP)") and labels[1].endswith("… · 2026-Q3 (GBP)")
    assert all(len(label) <= 48 for label in labels)
    assert labels[2] == "X · Q (EUR)"


def test_line_labels_stay_inside_the_chart():
    result = _result([(["2026-01"], "EUR", "1234567"), (["2026-12"], "EUR", "7654321")])
    lines = chart(result, "invoiced", "line", dimensions=["month"])
    for x, label in lines["ticks"]:
        _inside(x - text_width(label, 10) / 2, x + text_width(label, 10) / 2, lines["width"])
    for x, y, value in lines["series"][0]["points"]:
        _inside(x - text_width(value, 9) / 2, x + text_width(value, 9) / 2, lines["width"])
        assert y - 7 - 9 > lines["series"][-1]["legend_y"], "values clear the legend"


def test_months_are_spaced_by_time_and_empty_months_are_zero():
    result = _result(
        [(["2026-01"], "EUR", "100"), (["2026-02"], "EUR", "50"), (["2026-06"], "EUR", "80")]
    )
    lines = chart(result, "invoiced", "line", dimensions=["month"])
    points = lines["series"][0]["points"]
    assert [value for _, _, value in points] == ["100", "50", "0", "0", "0", "80"]
    xs = [x for x, _, _ in points]
    steps = [b - a for a, b in itertools.pairwise(xs)]
    assert max(steps) - min(steps) < 0.2, "one month, one step"
    assert [label for _, label in lines["ticks"]][:3] == ["2026-01", "2026-02", "2026-03"]


def test_an_undefined_margin_is_a_gap_not_a_zero():
    result = Result(
        columns=["Quarter"],
        rows=[
            (["2026-Q1"], "EUR", Figures(recognised=Decimal(100), cost=Decimal(40))),
            (["2026-Q3"], "EUR", Figures(recognised=Decimal(100), cost=Decimal(80))),
        ],
    )
    lines = chart(result, "margin", "line", dimensions=["quarter"])
    (series,) = lines["series"]
    assert [value for _, _, value in series["points"]] == ["60", "20"]
    assert len(series["polylines"]) == 2, "the line stops at Q2 and starts again at Q3"


def test_the_page_charts_every_chosen_measure(books, client_for, world_a):
    query = {"dimensions": ["month"], "measures": ["places", "invoiced", "margin"], "chart": "line"}
    html = client_for(world_a.viewer).get("/alpha/reports/custom/", query).content.decode()
    labels = re.findall(r'aria-label="Line chart of ([^"]+)"', html)
    assert labels == ["Places delivered", "Revenue invoiced", "Margin %"]


def test_the_books_months_run_without_gaps(books):
    with activate(books):
        result = run(Definition(dimensions=["month"], measures=["invoiced"]))
    lines = chart(result, "invoiced", "line", dimensions=["month"])
    months = {label for labels, _, _ in result.rows for label in labels}
    first, last = min(months), max(months)
    span = (int(last[:4]) - int(first[:4])) * 12 + int(last[5:]) - int(first[5:]) + 1
    assert all(len(series["points"]) == span for series in lines["series"])


def test_a_bar_chart_says_it_shows_the_largest_rows_only(books, client_for, world_a, monkeypatch):
    from reporting import views as reporting_views

    client = client_for(world_a.viewer)
    query = {"dimensions": ["month"], "measures": ["invoiced"], "chart": "bar"}
    assert "data-chart-rows" not in client.get("/alpha/reports/custom/", query).content.decode()
    many = _result([([f"row {n}"], "EUR", n) for n in range(25)])
    monkeypatch.setattr(reporting_views, "run", lambda definition, projects=None: many)
    page = client.get("/alpha/reports/custom/", query).content.decode()
    assert page.count("<rect") == 20
    assert "The largest 20 of 25 rows; the table has them all." in page


def test_a_line_chart_of_two_years_writes_no_text_over_another():
    months = [f"{year}-{month:02d}" for year in (2025, 2026) for month in range(1, 13)]
    result = _result([([m], "EUR", str(100_000 + n * 37_000)) for n, m in enumerate(months)])
    lines = chart(result, "invoiced", "line", dimensions=["month"])

    def apart(texts, size):
        spans = sorted((x - text_width(t, size) / 2, x + text_width(t, size) / 2) for x, t in texts)
        return all(left[1] <= right[0] for left, right in itertools.pairwise(spans))

    assert len(lines["ticks"]) > 4 and apart(lines["ticks"], 10)
    (series,) = lines["series"]
    written = [(x, value) for x, _, value in series["points"] if value]
    assert len(series["points"]) == 24 and len(written) > 4 and apart(written, 9)
