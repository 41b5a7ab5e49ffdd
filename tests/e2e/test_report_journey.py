import csv
import io
import re

import pytest
from playwright.sync_api import expect

from accounts.platform.tenancy import activate
from reporting.models import SavedReport
from tests.e2e.test_accounts_journey import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def texts_outside_their_chart(page) -> list:
    """Each chart text whose box, as the browser lays it out, leaves its SVG's viewBox."""
    return page.evaluate(
        """() => [...document.querySelectorAll("[data-chart] svg")].flatMap((svg) => {
            const view = svg.viewBox.baseVal;
            return [...svg.querySelectorAll("text")]
                .map((text) => [text.textContent, text.getBBox()])
                .filter(([, box]) => box.x < view.x - 0.5 || box.y < view.y - 0.5
                    || box.x + box.width > view.x + view.width + 0.5
                    || box.y + box.height > view.y + view.height + 0.5)
                .map(([content, box]) => [content, box.x, box.width]);
        })"""
    )


def test_build_a_custom_report_see_its_chart_save_it_and_export_csv(
    page, screenshot, books, world_a
):
    log_in(page, world_a.finance.username)
    page.goto("/alpha/reports/custom/")
    page.get_by_label("Product", exact=True).uncheck()
    page.get_by_label("Month", exact=True).check()
    page.get_by_label("Revenue recognised").check()
    page.get_by_label("Chart", exact=True).select_option("bar")
    page.get_by_role("button", name="Show").click()
    chart = page.get_by_role("img", name="Bar chart of Places delivered")
    expect(chart).to_be_visible()
    expect(chart).to_contain_text("2026-03 (EUR)")
    expect(page.get_by_role("table", name="Report")).to_contain_text("2026-04")
    screenshot("custom-report")
    # Issue 17: every chosen measure is charted, and no text sticks out of its chart.
    expect(page.get_by_role("img", name=re.compile("^Bar chart of"))).to_have_count(3)
    assert texts_outside_their_chart(page) == []
    page.get_by_label("Chart", exact=True).select_option("line")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("img", name="Line chart of Revenue recognised")).to_be_visible()
    assert texts_outside_their_chart(page) == []
    screenshot("custom-report-lines")
    page.get_by_label("Chart", exact=True).select_option("bar")
    page.get_by_role("button", name="Show").click()

    page.get_by_label("Report name").fill("Monthly delivery")
    page.get_by_role("button", name="Save report").click()
    expect(page.get_by_role("heading", name="Monthly delivery")).to_be_visible()
    expect(page.get_by_role("link", name="Monthly delivery")).to_be_visible()

    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    with open(download.value.path(), encoding="utf-8") as handle:
        rows = list(csv.reader(io.StringIO(handle.read())))
    assert rows[0] == [
        "Month",
        "Currency",
        "Places delivered",
        "Revenue invoiced",
        "Revenue recognised",
    ]
    assert ["2026-04", "GBP"] in [row[:2] for row in rows[1:]]
    with activate(world_a.tenant):
        assert SavedReport.objects.get().definition["dimensions"] == ["month"]
