"""One invoice across projects (issue 13, part 3): a billing account with several projects is
invoiced on one invoice per currency (grouping "per billing account"), its lines saying which
project; each project's maximum billing amount, handling fee, deposits and purchase orders still
hold on its own lines, and what each project has invoiced follows its lines.

One billing account (Meridian) with three projects: ALPHA and BETA in EUR, two delivered places
at 900 each; GAMMA in USD, one place at 500.
"""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.test import TestCase

from accounts.platform.tenancy import activate
from invoicing import selectors, services
from invoicing.models import Grouping, Invoice, InvoiceLine, InvoiceRun, LineKind
from projects.models import PurchaseOrder, Registration, RegistrationStatus
from projects.selectors import purchase_order_usage
from tests.factories import AccountFactory, EventFactory, ProjectFactory

DAY = datetime.date(2026, 3, 10)


def _places(project, count, price):
    event = EventFactory(project=project, start_date=datetime.date(2026, 3, 1))
    return [
        Registration.objects.create(
            tenant=project.tenant,
            project=project,
            event=event,
            requested_date=datetime.date(2026, 2, 1),
            status=RegistrationStatus.DELIVERED,
            unit_price=Decimal(price),
            net_amount=Decimal(price),
        )
        for _ in range(count)
    ]


@pytest.fixture
def meridian(world_a):
    tenant = world_a.tenant
    account = AccountFactory(
        tenant=tenant,
        name="Meridian Health",
        address="1 High Street",
        postal_code="N1 1AA",
        city="London",
        country="GB",
        tax_id="GB999",
    )
    alpha = ProjectFactory(account=account, code="PR-0001", name="Leadership", currency="EUR")
    beta = ProjectFactory(account=account, code="PR-0002", name="Coaching", currency="EUR")
    gamma = ProjectFactory(account=account, code="PR-0003", name="US teams", currency="USD")
    return {
        "world": world_a,
        "tenant": tenant,
        "call": {"tenant": tenant, "by": world_a.finance},
        "account": account,
        "alpha": alpha,
        "beta": beta,
        "gamma": gamma,
        "rows": {
            alpha.pk: _places(alpha, 2, "900.00"),
            beta.pk: _places(beta, 2, "900.00"),
            gamma.pk: _places(gamma, 1, "500.00"),
        },
    }


def _all_rows(meridian, *projects):
    return [row.pk for project in projects for row in meridian["rows"][project.pk]]


def _draft(meridian, *projects, grouping=Grouping.BILLING_ACCOUNT):
    projects = projects or (meridian["alpha"], meridian["beta"])
    with activate(meridian["tenant"]):
        return services.account_drafts_create(
            **meridian["call"],
            billing_account=meridian["account"],
            registration_ids=_all_rows(meridian, *projects),
            grouping=grouping,
        )


def _issue(meridian, invoice):
    with activate(meridian["tenant"]):
        return services.invoice_issue(
            **meridian["call"], invoice=invoice, on_date=DAY, render_pdf=False
        )


def test_one_invoice_per_billing_account_and_currency_its_lines_saying_which_project(meridian):
    alpha, beta, gamma = meridian["alpha"], meridian["beta"], meridian["gamma"]
    eur, usd = _draft(meridian, alpha, beta, gamma)
    with activate(meridian["tenant"]):
        assert (eur.currency, eur.net_total) == ("EUR", Decimal("3600.00"))
        assert eur.project == alpha  # filed under the first project
        by_project = sorted(eur.lines.values_list("project__code", flat=True))
        assert by_project == ["PR-0001", "PR-0001", "PR-0002", "PR-0002"]
        assert (usd.currency, usd.project, usd.net_total) == ("USD", gamma, Decimal("500.00"))


def test_one_per_project_keeps_the_projects_apart(meridian):
    invoices = _draft(meridian, grouping=Grouping.ALL)
    with activate(meridian["tenant"]):
        assert sorted(invoice.project.code for invoice in invoices) == ["PR-0001", "PR-0002"]
        for invoice in invoices:
            assert {line.project_id for line in invoice.lines.all()} == {invoice.project_id}


def test_issuing_writes_each_lines_project_into_its_text(meridian):
    (invoice,) = _draft(meridian)
    invoice = _issue(meridian, invoice)
    with activate(meridian["tenant"]):
        texts = list(invoice.lines.values_list("project__code", "description"))
    assert all(text.startswith(f"{code}: ") for code, text in texts)


def test_what_each_project_invoiced_follows_its_lines(meridian):
    alpha, beta = meridian["alpha"], meridian["beta"]
    (invoice,) = _draft(meridian)
    with activate(meridian["tenant"]):
        assert selectors.cap_room(alpha).on_drafts == Decimal("1800.00")
        assert selectors.cap_room(beta).on_drafts == Decimal("1800.00")
    _issue(meridian, invoice)
    with activate(meridian["tenant"]):
        assert selectors.invoiced_net(alpha) == selectors.invoiced_net(beta) == Decimal("1800")
        # The invoice is on both projects' invoices tab.
        assert list(selectors.invoices_of_project(beta)) == [invoice]


def test_maximum_billing_is_checked_per_project_when_drafting(meridian):
    beta = meridian["beta"]
    beta.max_billing_amount = Decimal("1000")
    beta.save(update_fields=["max_billing_amount"])
    with pytest.raises(ValidationError) as refused:
        _draft(meridian)
    message = " ".join(refused.value.messages)
    assert "PR-0002 may be billed at most 1,000.00 EUR" in message
    assert "this invoice comes to 1,800.00" in message  # beta's part, not the invoice's 3,600
    with activate(meridian["tenant"]):
        assert Invoice.objects.count() == 0  # nothing half-saved


def test_maximum_billing_is_checked_per_project_when_issuing(meridian):
    (invoice,) = _draft(meridian)
    alpha = meridian["alpha"]
    alpha.max_billing_amount = Decimal("1800")  # exactly alpha's part: still fits
    alpha.save(update_fields=["max_billing_amount"])
    _issue(meridian, invoice)  # 3,600 in all, 1,800 of it alpha's: issued


def test_maximum_billing_refuses_at_issue_for_the_project_past_it(meridian):
    (invoice,) = _draft(meridian)
    beta = meridian["beta"]
    beta.max_billing_amount = Decimal("1799")
    beta.save(update_fields=["max_billing_amount"])
    with pytest.raises(ValidationError, match=r"PR-0002 may be billed at most 1,799\.00"):
        _issue(meridian, invoice)


def test_each_project_charges_its_handling_fee_on_its_own_lines(meridian):
    alpha = meridian["alpha"]
    alpha.handling_fee_percent = Decimal("10")
    alpha.save(update_fields=["handling_fee_percent"])
    (invoice,) = _draft(meridian)
    with activate(meridian["tenant"]):
        (fee,) = invoice.lines.filter(kind=LineKind.HANDLING_FEE)
        assert (fee.project_id, fee.net) == (alpha.pk, Decimal("180.00"))  # 10 % of 1,800
        assert invoice.net_total == Decimal("3780.00")


def test_a_projects_deposit_is_deducted_from_its_own_lines_only(meridian):
    alpha, beta = meridian["alpha"], meridian["beta"]
    with activate(meridian["tenant"]):
        deposit = services.deposit_create(**meridian["call"], project=beta, amount="2500")
    _issue(meridian, deposit)
    (invoice,) = _draft(meridian)
    with activate(meridian["tenant"]):
        (deduction,) = invoice.lines.filter(kind=LineKind.DEPOSIT_DEDUCTION)
        # At most beta's 1,800 (its lines), although the invoice comes to 3,600.
        assert (deduction.project_id, deduction.net) == (beta.pk, Decimal("-1800.00"))
        assert invoice.net_total == Decimal("1800.00")
        assert selectors.deposit_balances([alpha.pk]) == {}
    _issue(meridian, invoice)
    with activate(meridian["tenant"]):
        # Revenue is the work, per project; the deposit is an advance.
        assert selectors.invoiced_net(beta) == Decimal("1800.00")
        assert selectors.invoiced_net(alpha) == Decimal("1800.00")


def test_purchase_orders_stay_each_projects_and_lines_name_them(meridian):
    alpha, beta = meridian["alpha"], meridian["beta"]
    orders = {}
    for project, number in ((alpha, "PO-A"), (beta, "PO-B")):
        orders[project.pk] = PurchaseOrder.objects.create(
            tenant=project.tenant, project=project, number=number, value_cap=Decimal("1800")
        )
        with activate(meridian["tenant"]):
            rows = Registration.objects.filter(project=project)
            rows.update(purchase_order=orders[project.pk])
    with activate(meridian["tenant"]):
        before = purchase_order_usage([order.pk for order in orders.values()])
    (invoice,) = _draft(meridian)
    with activate(meridian["tenant"]):
        assert invoice.po_reference == ""  # two orders: the invoice has none of its own
        texts = dict(invoice.lines.values_list("project_id", "description"))
        assert texts[alpha.pk].endswith("(PO PO-A)") and texts[beta.pk].endswith("(PO PO-B)")
        # What each order is charged does not change with how the rows are invoiced.
        assert purchase_order_usage([order.pk for order in orders.values()]) == before


def test_crediting_one_projects_line_moves_that_projects_revenue(meridian):
    alpha, beta = meridian["alpha"], meridian["beta"]
    (invoice,) = _draft(meridian)
    invoice = _issue(meridian, invoice)
    with activate(meridian["tenant"]):
        line = invoice.lines.filter(project=beta).first()
        note = services.invoice_credit(**meridian["call"], invoice=invoice, line_ids=[line.pk])
        assert note.lines.get().project_id == beta.pk
        assert not note.is_draft
        assert selectors.invoiced_net(beta) == Decimal("900.00")
        assert selectors.invoiced_net(alpha) == Decimal("1800.00")


def test_rows_of_a_project_billed_elsewhere_are_refused(meridian, world_a):
    other = ProjectFactory(account=AccountFactory(tenant=world_a.tenant))
    (row,) = _places(other, 1, "100.00")
    with activate(meridian["tenant"]), pytest.raises(ValidationError):
        services.account_drafts_create(
            **meridian["call"], billing_account=meridian["account"], registration_ids=[row.pk]
        )


def test_the_other_tenants_account_is_refused(meridian, world_b):
    with activate(meridian["tenant"]), pytest.raises(ValidationError):
        services.account_drafts_create(
            **meridian["call"],
            billing_account=AccountFactory(tenant=world_b.tenant),
            registration_ids=_all_rows(meridian, meridian["alpha"]),
        )


def test_a_bulk_run_per_billing_account_merges_the_projects(meridian):
    with activate(meridian["tenant"]), TestCase.captureOnCommitCallbacks(execute=True):
        run, _created = services.run_start(
            **meridian["call"],
            key="x" * 32,
            selection={"account": meridian["account"].pk},
            grouping=Grouping.BILLING_ACCOUNT,
        )
    with activate(meridian["tenant"]):
        run = InvoiceRun.objects.get(pk=run.pk)
        invoices = list(run.invoices.order_by("currency"))
        assert [(i.currency, i.net_total) for i in invoices] == [
            ("EUR", Decimal("3600.00")),
            ("USD", Decimal("500.00")),
        ]
        assert InvoiceLine.objects.filter(invoice=invoices[0]).count() == 4


def test_the_run_preview_lists_one_invoice_with_both_projects(meridian):
    from invoicing.run_previews import planned_invoices

    with activate(meridian["tenant"]):
        included, _excluded = selectors.run_candidates(
            date_from=None,
            date_to=None,
            account=meridian["account"],
            region=None,
            project=None,
            include_internal=False,
        )
        planned = planned_invoices(included, Grouping.BILLING_ACCOUNT)
        preview = selectors.run_preview(included, Grouping.BILLING_ACCOUNT)
    eur = next(invoice for invoice in planned["invoices"] if invoice.currency == "EUR")
    assert [project.code for project in eur.projects] == ["PR-0001", "PR-0002"]
    assert eur.net == Decimal("3600.00")
    assert preview["invoices"] == len(planned["invoices"]) == 2


# --- The billing account's review page ---------------------------------------------------------


def _page(meridian):
    return f"/alpha/invoices/from-account/{meridian['account'].pk}/"


def test_the_review_page_lists_every_projects_ready_rows(meridian, client_for):
    page = client_for(meridian["world"].finance).get(_page(meridian))
    assert page.status_code == 200
    content = page.content.decode()
    for code in ("PR-0001", "PR-0002", "PR-0003"):
        assert code in content
    ticks = content.count('name="selected"')
    assert ticks == 5  # every ready place of the three projects


def test_the_review_page_reads_a_constant_number_of_queries(meridian, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(meridian["world"].finance)
    with CaptureQueriesContext(connection) as few:
        client.get(_page(meridian))
    for n in range(4):
        project = ProjectFactory(account=meridian["account"], code=f"PR-09{n}")
        _places(project, 2, "100.00")
    with CaptureQueriesContext(connection) as many:
        client.get(_page(meridian))
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_review_page_drafts_one_invoice_across_the_projects(meridian, client_for):
    client = client_for(meridian["world"].finance)
    rows = _all_rows(meridian, meridian["alpha"], meridian["beta"])
    response = client.post(
        _page(meridian), {"selected": rows, "grouping": Grouping.BILLING_ACCOUNT}
    )
    with activate(meridian["tenant"]):
        invoice = Invoice.objects.get()
    assert response.status_code == 302 and response.url == invoice.get_absolute_url()
    draft = client.get(response.url).content.decode()
    assert "PR-0001" in draft and "PR-0002" in draft


def test_the_review_page_says_what_to_change_and_keeps_the_ticks(meridian, client_for):
    beta = meridian["beta"]
    beta.max_billing_amount = Decimal("100")
    beta.save(update_fields=["max_billing_amount"])
    rows = _all_rows(meridian, meridian["alpha"], beta)
    response = client_for(meridian["world"].finance).post(
        _page(meridian), {"selected": rows, "grouping": Grouping.BILLING_ACCOUNT}, follow=True
    )
    content = response.content.decode()
    assert "PR-0002 may be billed at most 100.00 EUR" in content
    assert content.count("checked") >= len(rows)
    with activate(meridian["tenant"]):
        assert Invoice.objects.count() == 0


def test_the_review_page_is_for_those_who_invoice(meridian, client_for):
    assert client_for(meridian["world"].viewer).get(_page(meridian)).status_code == 403
    assert client_for(meridian["world"].staff).get(_page(meridian)).status_code == 403


def test_the_accounts_invoices_tab_links_to_it(meridian, client_for):
    tab = client_for(meridian["world"].finance).get(
        f"/alpha/accounts/{meridian['account'].pk}/invoices/"
    )
    assert _page(meridian) in tab.content.decode()


def test_the_migration_freezes_issued_lines_project_code_from_their_invoice(meridian):
    from importlib import import_module

    from django.apps import apps
    from django.db import connection

    migration = import_module("invoicing.migrations.0017_line_project")
    (draft,) = _draft(meridian, meridian["alpha"])
    (other,) = _draft(meridian, meridian["beta"])
    issued = _issue(meridian, other)
    with activate(meridian["tenant"]):
        InvoiceLine.objects.update(project_code="")
        # What the migration needs of a schema editor (SQLite's refuses to open in a test's
        # transaction): quoting and executing.
        with connection.cursor() as cursor:
            editor = SimpleNamespace(quote_name=connection.ops.quote_name, execute=cursor.execute)
            migration.lines_take_their_invoice_project(apps, editor)
        assert set(draft.lines.values_list("project_code", flat=True)) == {""}
        assert set(issued.lines.values_list("project_code", flat=True)) == {"PR-0002"}
