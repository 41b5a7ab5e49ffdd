import datetime
import io
from decimal import ROUND_HALF_UP, Decimal

import openpyxl

from accounts.platform.tenancy import activate
from reporting import custom
from reporting import views as reporting_views
from reporting.custom import Definition, chart, run
from reporting.models import SavedReport
from reporting.selectors import GRAIN, Figures


def cells_by_label(result):
    return {(tuple(labels), currency): cell for labels, currency, cell in result.rows}


def test_by_month_the_figures_match_the_hand_computation(books):
    with activate(books):
        result = run(
            Definition(
                dimensions=["month"],
                measures=["places", "invoiced", "recognised", "cost", "profit"],
            )
        )
    cells = cells_by_label(result)
    march = cells[(("2026-03",), "EUR")]
    assert (march.places, march.invoiced, march.cost) == (2, Decimal("1980"), Decimal("1000"))
    april = cells[(("2026-04",), "GBP")]
    assert (april.recognised, april.cost, april.profit) == (
        Decimal("550"),
        Decimal("410"),
        Decimal("140"),
    )
    credit_month = f"{datetime.date.today():%Y-%m}"
    assert cells[((credit_month,), "EUR")].invoiced == Decimal("-900")


def test_currencies_are_never_added_together(books):
    with activate(books):
        result = run(Definition(dimensions=["account"], measures=["recognised"]))
    assert sorted(currency for _, currency, _ in result.rows) == ["EUR", "GBP"]


def test_filters_and_quarters(books):
    with activate(books):
        result = run(
            Definition(
                dimensions=["quarter"],
                measures=["places"],
                date_from=datetime.date(2026, 4, 1),
                date_to=datetime.date(2026, 6, 30),
            )
        )
    assert [(labels, currency) for labels, currency, _ in result.rows] == [(["2026-Q2"], "GBP")]


def test_charts_carry_their_values_and_never_mix_currencies(books):
    with activate(books):
        result = run(Definition(dimensions=["month"], measures=["recognised"]))
    bars = chart(result, "recognised", "bar")
    assert bars["bars"][0]["value"] == "1,980"  # March: the whole invoice; the credit is later
    lines = chart(result, "recognised", "line")
    assert sorted(line["currency"] for line in lines["series"]) == ["EUR", "GBP"]
    assert {line["dash"] for line in lines["series"]} == {"", "6 4"}


def test_the_page_exports_csv_and_xlsx(books, client_for, world_a):
    client = client_for(world_a.viewer)
    query = {"dimensions": ["product"], "measures": ["places", "invoiced"]}
    page = client.get("/alpha/reports/custom/", query)
    assert page.status_code == 200 and b"<svg" in page.content
    csv = client.get("/alpha/reports/custom/", {**query, "format": "csv"}).content.decode()
    assert csv.splitlines()[0] == "Product,Currency,Places delivered,Revenue invoiced"
    xlsx = client.get("/alpha/reports/custom/", {**query, "format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.cell(1, 1).value == "Product"
    assert [sheet.cell(2, column).data_type for column in (3, 4)] == ["n", "n"]


def test_a_report_is_saved_and_opened_again(books, client_for, world_a):
    client = client_for(world_a.finance)
    response = client.post(
        "/alpha/reports/custom/",
        {
            "name": "Places per quarter",
            "dimensions": ["quarter"],
            "measures": ["places"],
            "chart": "line",
        },
    )
    with activate(books):
        report = SavedReport.objects.get()
    assert response["Location"].endswith(f"?saved={report.pk}")
    assert report.definition["dimensions"] == ["quarter"] and report.chart == "line"
    opened = client.get(response["Location"])
    assert "Places per quarter" in opened.content.decode()
    assert opened.context["result"].columns == ["Quarter"]


def test_a_viewer_cannot_save_and_another_tenant_sees_nothing(books, client_for, world_a, world_b):
    response = client_for(world_a.viewer).post(
        "/alpha/reports/custom/", {"name": "X", "dimensions": ["month"], "measures": ["places"]}
    )
    assert response.status_code == 403
    page = client_for(world_b.viewer).get(
        "/bravo/reports/custom/", {"dimensions": ["account"], "measures": ["places"]}
    )
    assert "Kestrel" not in page.content.decode()


def _figures(result):
    return {
        (tuple(labels), currency): (cell.places, cell.invoiced, cell.recognised, cell.cost)
        for labels, currency, cell in result.rows
    }


def test_each_report_reads_the_coarsest_grain_and_adds_up_as_the_finest_does(books, monkeypatch):
    """Issue 18: a report sums `facts` at the grain its dimensions need (products by quarter
    need no events); its rows are those of the finest grain rolled up."""
    layouts = [[dimension] for dimension in custom.DIMENSIONS] + [
        ["product", "quarter"],
        ["account", "event"],
        ["package", "month", "region"],
    ]
    assert custom.grain_of(["product", "quarter"]) == ("project", "product", "month")
    assert custom.grain_of(["account"]) == ("project",)
    measures = ["places", "invoiced", "recognised", "cost", "profit"]
    with activate(books):
        coarse = {tuple(d): _figures(run(Definition(d, measures))) for d in layouts}
        monkeypatch.setattr(custom, "grain_of", lambda dimensions: GRAIN)
        finest = {tuple(d): _figures(run(Definition(d, measures))) for d in layouts}
    assert coarse == finest


def test_the_page_shows_the_first_rows_and_the_files_have_them_all(
    books, client_for, world_a, monkeypatch
):
    monkeypatch.setattr(reporting_views, "REPORT_ROWS_SHOWN", 1)
    client = client_for(world_a.viewer)
    query = {"dimensions": ["month"], "measures": ["places"]}
    page = client.get("/alpha/reports/custom/", query).content.decode()
    body = page[page.index("<tbody") : page.index("</tbody>")]
    assert body.count("<tr") == 1
    assert "The first 1 rows are shown; 2 more are in the CSV and XLSX." in page
    csv = client.get("/alpha/reports/custom/", {**query, "format": "csv"}).content.decode()
    assert len(csv.splitlines()) == 1 + 3  # the header and every month


def test_the_count_of_rows_left_out_reads_as_a_number(books, client_for, world_a, monkeypatch):
    monkeypatch.setattr(reporting_views, "REPORT_ROWS_SHOWN", 1)
    monkeypatch.setattr(reporting_views, "run", _many_rows(20_604 + 1))
    page = client_for(world_a.viewer).get(
        "/alpha/reports/custom/", {"dimensions": ["month"], "measures": ["places"]}
    )
    assert "The first 1 rows are shown; 20,604 more are in the CSV and XLSX." in (
        page.content.decode()
    )


def _many_rows(count):
    def run(definition, projects=None):
        return custom.Result(
            columns=["Month"], rows=[([f"row {n}"], "EUR", Figures()) for n in range(count)]
        )

    return run


def test_saving_a_report_keeps_every_choice_of_the_page(books, client_for, world_a):
    """The save form posts what the page shows: a class filter and "Include finished projects"
    were left out, and the saved report opened with other figures."""
    import re

    from projects.models import ProjectClass

    with activate(books):
        academy = ProjectClass.objects.create(tenant=books, name="Academy")
    client = client_for(world_a.finance)
    asked = {
        "dimensions": ["event", "quarter"],
        "measures": ["places", "margin"],
        "project_class": str(academy.pk),
        "include_finished": "on",
        "tag": "leaders",
        "date_from": "2026-01-01",
        "chart": "line",
    }
    page = client.get("/alpha/reports/custom/", asked).content.decode()
    (form,) = [
        body
        for body in re.findall(r'<form method="post"[^>]*>(.*?)</form>', page, re.S)
        if 'name="name"' in body
    ]
    carried = re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form)
    posted = {"name": "Everything"}
    for name, value in carried:
        posted.setdefault(name, []).append(value)
    saved = client.post("/alpha/reports/custom/", posted)
    with activate(books):
        definition = SavedReport.objects.get(name="Everything").definition
    assert definition["project_class"] == academy.pk
    assert definition["include_finished"] is True
    assert (definition["tag"], definition["date_from"]) == ("leaders", "2026-01-01")
    assert definition["dimensions"] == ["event", "quarter"]
    reopened = client.get(saved["Location"]).context["form"]
    assert reopened.cleaned_data["project_class"] == academy
    assert reopened.cleaned_data["include_finished"] is True


def test_the_files_give_the_margin_as_the_page_does(books, client_for, world_a):
    """The CSV wrote the margin with 28 decimal places; page, charts and files now round it
    alike (one decimal place, half up)."""
    import csv as csv_module

    client = client_for(world_a.viewer)
    query = {"dimensions": ["month"], "measures": ["recognised", "cost", "margin"]}
    page = client.get("/alpha/reports/custom/", query)
    shown = [
        (labels[0], cell.margin) for labels, _, cell in page.context["result"].rows if cell.margin
    ]
    assert shown and any(margin != round(margin, 1) for _, margin in shown)  # a long fraction
    file = client.get("/alpha/reports/custom/", {**query, "format": "csv"}).content.decode()
    margins = {row["Month"]: row["Margin %"] for row in csv_module.DictReader(io.StringIO(file))}
    for month, margin in shown:
        rounded = margin.quantize(Decimal("0.1"), ROUND_HALF_UP)
        assert Decimal(margins[month]) == rounded, (month, margins[month])
        assert f"{rounded} %" in page.content.decode()
