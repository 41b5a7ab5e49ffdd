"""Every CSV or XLSX file a page of the app downloads is written by the exporter base
(accounts.platform.exporting): each tenant URL is asked for a file every way the app offers one
(?export=, ?format=, .csv/.xlsx in the path), and each file that comes back must have passed
through the one writer."""

import functools

from django.urls import reverse

from accounts.platform.exporting import writer
from tests.urls import POST_ONLY, tenant_rows, tenant_urls

FILE_TYPES = ("text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
REPORT = {"dimensions": "product", "measures": "places"}
QUERIES = [
    {},  # the reconciliation file refuses a parameter it does not know
    {"export": "csv"},
    {"export": "xlsx"},
    {"format": "csv", **REPORT},
    {"format": "xlsx", **REPORT},
]
# Serves the file the base wrote when the batch was made (tests/reporting/test_export_files.py).
# A batch's accounting file is written by the base on its first download and stored
# (tests/reporting/test_accounting_exports.py): later downloads serve those bytes.
STORED_FILES = {"reporting:batch-download", "reporting:batch-file"}
# The exports the app offers today: the walk must find each of them, so it cannot pass by
# finding nothing.
KNOWN = {
    ("accounts:account-list", "csv"),
    ("accounts:account-list", "xlsx"),
    ("projects:project-list", "csv"),
    ("projects:project-list", "xlsx"),
    ("projects:project-tab", "csv"),  # the registrations tab
    ("projects:project-tab", "xlsx"),
    ("invoicing:invoice-list", "csv"),
    ("invoicing:invoice-list", "xlsx"),
    ("invoicing:invoice-detail", "csv"),  # an invoice's lines
    ("invoicing:invoice-detail", "xlsx"),
    ("agreements:pricelist-export", "csv"),
    ("agreements:pricelist-export", "xlsx"),
    ("reporting:profitability", "csv"),
    ("reporting:custom", "csv"),
    ("reporting:custom", "xlsx"),
    ("reporting:reconciliation", "csv"),
    ("reporting:batch-download", "csv"),
    ("reporting:batch-file", "csv"),
}


def _recorded(function, calls):
    @functools.wraps(function)
    def spy(*args, **kwargs):
        calls.append(function.__name__)
        return function(*args, **kwargs)

    return spy


def test_every_file_a_page_downloads_is_written_by_the_exporter_base(
    world_a, client_for, monkeypatch
):
    urls = tenant_urls(tenant_rows(world_a))
    calls: list[str] = []
    for name in ("iter_csv", "write_csv", "write_xlsx"):
        monkeypatch.setattr(writer, name, _recorded(getattr(writer, name), calls))
    client = client_for(world_a.finance)
    found, unwritten = set(), []
    for name, kwargs in urls.items():
        if name in POST_ONLY:
            continue
        variants = [kwargs]
        if "file_format" in kwargs:
            variants.append({**kwargs, "file_format": "xlsx"})
        for url_kwargs in variants:
            url = reverse(name, kwargs={"tenant_slug": "alpha", **url_kwargs})
            for query in QUERIES:
                calls.clear()
                response = client.get(url, query)
                if not response.get("Content-Type", "").startswith(FILE_TYPES):
                    continue
                if response.streaming:
                    b"".join(response.streaming_content)  # a streamed file is written as read
                kind = "csv" if response["Content-Type"].startswith("text/csv") else "xlsx"
                found.add((name, kind))
                if not calls and name not in STORED_FILES:
                    unwritten.append(f"{url}?{query}")
    assert unwritten == []
    assert found >= KNOWN, KNOWN - found
