"""Issue 17: a role sees only links it may follow. Every page a role can open is read for its
links within the company, and each of them is opened as that role: none may answer
"Not allowed" (403). (Staff saw product codes as links to an edit page only admins open.)"""

import re

import pytest
from django.urls import reverse

from accounts.platform.models import Role
from tests.factories import PackageFactory, PriceListEntryFactory, TaxRateFactory
from tests.urls import POST_ONLY, READ_ONLY, tenant_rows, tenant_urls

HREF = re.compile(r'href="(/alpha/[^"#]*)"')
# Files and downloads: opening them proves nothing about the links and renders PDFs.
POST_FORM = re.compile(r'<form[^>]*method="post"(?![^>]*action="/logout/")[^>]*>')
SKIP = re.compile(r"(/pdf/|/ubl/|/zip/|/download/|export=|/export/|\.csv|\.xlsx)")


@pytest.fixture
def rows(world_a):
    rows = tenant_rows(world_a)
    # Rows whose lists link them too: a price on the list, a tax rate, a package.
    PriceListEntryFactory(price_list=rows["price_list"], product=rows["product"])
    TaxRateFactory(tenant=world_a.tenant)
    PackageFactory(tenant=world_a.tenant)
    return rows


def _pages(rows):
    for name, kwargs in tenant_urls(rows).items():
        if name not in POST_ONLY:
            yield name, reverse(name, kwargs={"tenant_slug": "alpha", **kwargs})


def _pattern(link: str) -> str:
    """Links that differ only in ids or filters open the same kind of page for a role."""
    return re.sub(r"\d+", "N", link.split("?")[0])


@pytest.mark.parametrize("role", [Role.ADMIN, Role.STAFF, Role.FINANCE, Role.VIEWER])
def test_no_page_links_a_role_to_a_page_it_may_not_open(rows, world_a, client_for, role):
    """Two clicks deep from every page of the company (tabs and the pages they link)."""
    client = client_for(world_a.user(role))
    answers: dict[str, tuple[int, str]] = {}  # one page of each kind: its status and HTML

    def open_page(link):
        key = _pattern(link)
        if key not in answers:
            response = client.get(link)
            html = "html" in response.get("Content-Type", "") and response.content.decode()
            answers[key] = (response.status_code, html or "")
        return answers[key]

    refused, forms, parsed = [], [], set()
    pages = [page for _, page in _pages(rows)]
    # A viewer opening a form page by its address sees the form (its POST is refused); the
    # pages it reaches by reading or by a link offer no form.
    readable = {page for name, page in _pages(rows) if name in READ_ONLY}
    for depth in range(2):
        found = []
        for page in pages:
            if _pattern(page) in parsed:
                continue
            parsed.add(_pattern(page))
            status, html = open_page(page)
            if status != 200 or not html:
                continue
            if role == Role.VIEWER and (depth or page in readable):
                # A viewer changes nothing: no form to post but logging out.
                forms += [f"{page} offers {form}" for form in POST_FORM.findall(html)]
            for link in set(HREF.findall(html)):
                link = link.replace("&amp;", "&")
                if SKIP.search(link):
                    continue
                if open_page(link)[0] == 403:
                    refused.append(f"{page} links {link}")
                found.append(link)
        pages = found
    assert not refused, "\n".join(sorted(set(refused)))
    assert not forms, "\n".join(sorted(set(forms)))
