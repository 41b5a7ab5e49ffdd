"""Customer and project tags travel onto invoices and the reconciliation export (issue 13,
part 6): the project's from the draft on, the customer's frozen when the invoice is issued."""

from accounts.platform.tenancy import activate
from tests.reporting.test_reconciliation import download, issue


def test_customer_and_project_tags_reach_the_invoice_and_the_reconciliation_file(
    act, billing, client_for
):
    account, project = billing["account"], billing["project"]
    account.tags = "public sector, key account"
    account.save()
    project.tags = "leadership"
    project.save()
    (invoice,) = issue(act, billing, billing["registrations"][:1])
    assert (invoice.tags, invoice.customer_tags) == ("leadership", "public sector, key account")

    # Tags changed after issue leave the issued invoice as it was.
    account.tags = "renamed"
    account.save()
    with activate(account.tenant):
        invoice.refresh_from_db()
    assert invoice.customer_tags == "public sector, key account"

    rows = download(client_for(billing["world"].finance))
    mine = [row for row in rows if row["invoice_number"] == invoice.number]
    assert mine and all(row["tags"] == "leadership" for row in mine)
    assert all(row["customer_tags"] == "public sector, key account" for row in mine)
