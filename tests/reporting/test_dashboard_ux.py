"""Issue 17: the dashboard's cards are links to the lists they count, a negative month says
why, and "Get started" shows only on an empty company, to a role that can start it."""

import datetime
import re

from accounts.platform.tenancy import activate
from tests.factories import AccountFactory


def _card(html: str, label: str) -> tuple[str, str]:
    """The link around the card labelled `label`, and the card's text."""
    at = html.index(f">{label}")
    link = html.rfind("<a ", 0, at)
    href = re.match(r'<a[^>]*href="([^"]+)"', html[link:]).group(1).replace("&amp;", "&")
    end = html.index("</a>", at)
    return href, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html[link:end])).strip()


def _rows(client, href) -> int:
    return client.get(href).context["table"].paginator.count


def test_a_negative_month_says_credit_notes_exceed_invoices(books, client_for, world_a):
    client = client_for(world_a.finance)
    html = client.get("/alpha/").content.decode()
    today = datetime.date.today()
    href, text = _card(html, f"Invoiced in {today:%B}")
    assert "-€900.00" in text
    assert "Credit notes (€900.00) exceed invoices (€0.00) this month" in text
    # The card opens the invoices it sums: this month's issued documents.
    assert href == (
        f"/alpha/invoices/?issued_from={today.replace(day=1).isoformat()}"
        f"&issued_to={today.isoformat()}"
    )
    listed = client.get(href).context["table"].page.object_list
    assert [row.record.kind for row in listed] == ["credit_note"]


def test_kpi_cards_link_to_the_lists_they_count(books, client_for, world_a):
    client = client_for(world_a.finance)
    AccountFactory(tenant=world_a.tenant, kind="individual", name="Ada Lovelace")
    AccountFactory(tenant=world_a.tenant, name="Dormant Ltd", is_active=False)
    html = client.get("/alpha/").content.decode()
    href, text = _card(html, "Overdue invoices")
    # One of the fixture's past-due invoices is paid from a prepurchase (nothing to pay): the
    # other is what is overdue, and the card's link lists exactly it.
    assert text.startswith("Overdue invoices 1") and _rows(client, href) == 1
    for label in ("Organisations", "Individuals", "Inactive accounts"):
        href, text = _card(html, label)
        count = int(text.removeprefix(label).split()[0].replace(",", ""))
        assert count and _rows(client, href) == count, label


def test_get_started_only_on_an_empty_company_and_to_a_role_that_can_act(world_a, client_for):
    assert "Get started" in client_for(world_a.staff).get("/alpha/").content.decode()
    assert "Get started" not in client_for(world_a.finance).get("/alpha/").content.decode()
    with activate(world_a.tenant):
        AccountFactory(tenant=world_a.tenant)
    assert "Get started" not in client_for(world_a.staff).get("/alpha/").content.decode()
