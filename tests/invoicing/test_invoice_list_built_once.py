"""The invoice list's queryset is built once per tenant scope and day, then copied for each use
(`invoicing.selectors.invoice_list`, issue 18): each use may narrow its copy, another company
sees only its own documents, and a new day judges what is overdue on that day."""

import datetime
from unittest import mock

from accounts.platform.tenancy import activate
from invoicing import selectors, services
from invoicing.models import InvoiceState


def issued_invoice(act, billing, on_date=None):
    (draft,) = act(
        services.drafts_create,
        project=billing["project"],
        registration_ids=[billing["registrations"][0].pk],
    )
    return act(services.invoice_issue, invoice=draft, on_date=on_date, render_pdf=False)


def test_each_use_narrows_its_own_copy(act, billing):
    invoice = issued_invoice(act, billing)
    first = selectors.invoice_list()
    assert list(first.filter(pk=invoice.pk + 1)) == []
    again = selectors.invoice_list()
    assert again is not first and again.query is not first.query
    assert [(row.pk, row.state) for row in again] == [(invoice.pk, InvoiceState.OPEN)]


def test_another_company_sees_only_its_own_documents(act, billing, world_b):
    invoice = issued_invoice(act, billing)
    assert list(selectors.invoice_list()) == [invoice]
    with activate(world_b.tenant):
        assert list(selectors.invoice_list()) == []
    assert list(selectors.invoice_list()) == [invoice]


def test_a_new_day_judges_overdue_on_that_day(act, billing):
    invoice = issued_invoice(act, billing, on_date=datetime.date(2026, 3, 2))
    due = invoice.due_date

    def states_on(day):
        with mock.patch("django.utils.timezone.localdate", return_value=day):
            return [row.state for row in selectors.invoice_list()]

    assert states_on(due) == [InvoiceState.OPEN]
    assert states_on(due + datetime.timedelta(days=1)) == [InvoiceState.OVERDUE]
    assert states_on(due) == [InvoiceState.OPEN]
