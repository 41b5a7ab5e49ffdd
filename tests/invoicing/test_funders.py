"""Funding sources (issue 13, part 2): lines split to a project's funders at drafting, each payer
on its own invoice; caps, priorities, products funded, administration fees, claims per payer,
credit notes reversing a share."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import TestCase

from invoicing import funder_selectors, selectors, services
from invoicing.models import BillingClaim, Grouping, Invoice, InvoiceLine, LineKind
from projects import services as project_services
from projects.models import FunderKind, Item, ProjectFunder, Registration
from tests.factories import AccountFactory, PackageFactory, ProductFactory


def draft(act, billing, registrations=None, items=None, grouping=Grouping.ALL):
    registrations = billing["registrations"] if registrations is None else registrations
    items = [billing["item"]] if items is None else items
    return act(
        services.drafts_create,
        project=billing["project"],
        registration_ids=[row.pk for row in registrations],
        item_ids=[row.pk for row in items],
        grouping=grouping,
    )


def add_funder(act, billing, *, products=(), packages=(), **fields):
    fields.setdefault("kind", FunderKind.GRANT)
    fields.setdefault("name", "Skills Fund")
    if fields["kind"] != FunderKind.CUSTOMER and "account" not in fields:
        fields["account"] = AccountFactory(tenant=billing["tenant"], name=fields["name"])
    return act(
        project_services.funder_save,
        funder=ProjectFunder(project=billing["project"], **fields),
        products=products,
        packages=packages,
    )


def by_payer(invoices):
    return {invoice.billing_account.name: invoice for invoice in invoices}


def test_a_grant_paying_40_percent_gets_its_own_invoice_and_the_parts_sum_to_the_whole(
    act, billing
):
    grant = add_funder(act, billing, percent=Decimal("40"))
    invoices = draft(act, billing)
    payers = by_payer(invoices)
    assert set(payers) == {"Skills Fund", "Meridian Health"}
    fund, customer = payers["Skills Fund"], payers["Meridian Health"]
    # 4 places at 900 and an exam fee of 190: 40 % of each line to the fund.
    assert fund.net_total == Decimal("1516.00")  # 4 × 360 + 76
    assert customer.net_total == Decimal("2274.00")  # 4 × 540 + 114
    assert fund.net_total + customer.net_total == Decimal("3790.00")  # the unsplit total
    assert set(fund.lines.values_list("funder", flat=True)) == {grant.pk}
    assert set(customer.lines.values_list("funder", flat=True)) == {None}
    # Each invoice shows the row's price; the net is the payer's part of it.
    line = fund.lines.filter(registration__isnull=False).first()
    assert (line.unit_price, line.discount_percent, line.net) == (
        Decimal("1000.00"),
        Decimal("10.00"),
        Decimal("360.00"),
    )
    assert "Skills Fund pays 360.00 of 900.00" in line.description
    # Every row is billed once (both shares claim it), and is no longer due.
    assert set(Registration.objects.values_list("billed_quantity", flat=True)) == {1}
    assert Item.objects.get().billed_quantity == 2


def test_a_cap_stops_the_grant_and_the_rest_falls_to_the_customer(act, billing):
    grant = add_funder(act, billing, percent=Decimal("40"), cap=Decimal("1000"))
    fund = by_payer(draft(act, billing, items=[]))["Skills Fund"]
    # 360 + 360 + 280 and nothing of the fourth place: the cap holds to the cent.
    assert sorted(fund.lines.values_list("net", flat=True)) == [
        Decimal("280.00"),
        Decimal("360.00"),
        Decimal("360.00"),
    ]
    (use,) = funder_selectors.project_funders(billing["project"])
    assert (use.on_drafts, use.left) == (Decimal("1000.00"), Decimal("0"))
    # A second draft cannot spend the room the first one took: the customer pays it all.
    (later,) = draft(act, billing, registrations=[], items=[billing["item"]])
    assert later.billing_account.name == "Meridian Health" and later.net_total == Decimal("190")
    assert grant.lines.count() == 3


def test_funders_pay_by_priority_and_a_spent_cap_falls_to_the_next(act, billing):
    add_funder(act, billing, name="Levy", priority=2, percent=Decimal("100"))
    add_funder(act, billing, name="Grant", priority=1, percent=Decimal("50"), cap=Decimal("500"))
    payers = by_payer(draft(act, billing, items=[]))
    # The grant takes half of each place until its 500 is spent; the levy takes the rest.
    assert payers["Grant"].net_total == Decimal("500.00")
    assert payers["Levy"].net_total == Decimal("3100.00")
    assert "Meridian Health" not in payers


def test_rounding_puts_the_remainder_on_the_lowest_priority_payer(act, billing):
    item = billing["item"]
    Item.objects.filter(pk=item.pk).update(
        quantity=1, unit_price=Decimal("0.05"), net_amount=Decimal("0.05")
    )
    add_funder(act, billing, name="First", priority=1, percent=Decimal("50"))
    add_funder(act, billing, name="Second", priority=2, percent=Decimal("50"))
    payers = by_payer(draft(act, billing, registrations=[]))
    assert payers["First"].net_total == Decimal("0.03")  # half of 0.05, rounded half up
    assert payers["Second"].net_total == Decimal("0.02")  # the rest: no cent lost or made
    assert "Meridian Health" not in payers


def test_a_funder_funds_only_its_products(act, billing):
    course = billing["events"][0].product
    add_funder(act, billing, percent=Decimal("40"), products=[course])
    payers = by_payer(draft(act, billing))
    assert not payers["Skills Fund"].lines.filter(item__isnull=False).count()
    assert payers["Meridian Health"].lines.get(item__isnull=False).net == Decimal("190.00")


def test_a_funder_of_a_training_package_funds_its_products(act, billing):
    package = PackageFactory(tenant=billing["tenant"])
    exam = billing["item"].product
    exam.package = package
    exam.save()
    add_funder(act, billing, percent=Decimal("100"), packages=[package])
    payers = by_payer(draft(act, billing))
    assert payers["Skills Fund"].net_total == Decimal("190.00")  # the exam alone


def test_the_administration_fee_is_a_line_on_the_funders_invoice_outside_its_cap(act, billing):
    add_funder(
        act, billing, percent=Decimal("40"), cap=Decimal("2000"), admin_fee_percent=Decimal("5")
    )
    payers = by_payer(draft(act, billing))
    fee = payers["Skills Fund"].lines.get(kind=LineKind.ADMIN_FEE)
    assert fee.net == Decimal("75.80")  # 5 % of 1,516.00
    assert not payers["Meridian Health"].lines.filter(kind=LineKind.ADMIN_FEE).count()
    (use,) = funder_selectors.project_funders(billing["project"])
    assert use.used == Decimal("1516.00")


def test_a_row_cannot_be_billed_twice_for_the_same_funder(act, billing):
    grant = add_funder(act, billing, percent=Decimal("40"))
    draft(act, billing)
    with pytest.raises(ValidationError):
        draft(act, billing)  # nothing is due any more, for any payer
    registration = billing["registrations"][0]
    # Both payers hold unit 1 of the place; the database refuses a second one for the fund.
    assert set(
        BillingClaim.objects.filter(registration=registration).values_list("funder", "unit")
    ) == {(None, 1), (grant.pk, 1)}
    line = InvoiceLine.objects.filter(registration=registration, funder=grant).get()
    with pytest.raises(IntegrityError), transaction.atomic():
        BillingClaim.objects.create(
            tenant=billing["tenant"], line=line, registration=registration, funder=grant, unit=1
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        BillingClaim.objects.create(
            tenant=billing["tenant"], line=line, registration=registration, unit=1
        )


def issue_all(act, invoices):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return [act(services.invoice_issue, invoice=invoice) for invoice in invoices]


def test_crediting_the_funders_invoice_reverses_its_share_exactly_and_frees_its_cap(act, billing):
    add_funder(act, billing, percent=Decimal("40"), cap=Decimal("3000"))
    invoices = issue_all(act, draft(act, billing))
    project = billing["project"]
    assert selectors.invoiced_net(project) == Decimal("3790.00")  # revenue is the whole work
    (use,) = funder_selectors.project_funders(project)
    assert (use.invoiced, use.left) == (Decimal("1516.00"), Decimal("1484.00"))
    fund = by_payer(invoices)["Skills Fund"]
    with TestCase.captureOnCommitCallbacks(execute=True):
        note = act(services.invoice_credit, invoice=fund, reason="Grant withdrawn")
    assert note.billing_account == fund.billing_account and note.net_total == Decimal("-1516.00")
    assert set(note.lines.values_list("funder", flat=True)) == {use.funder.pk}
    (use,) = funder_selectors.project_funders(project)
    assert (use.invoiced, use.left) == (Decimal("0.00"), Decimal("3000.00"))
    assert selectors.invoiced_net(project) == Decimal("2274.00")
    assert funder_selectors.customer_share(project) == Decimal("2274.00")


def test_crediting_a_registration_credits_every_payers_share_and_it_can_be_billed_again(
    act, billing
):
    add_funder(act, billing, percent=Decimal("40"))
    issue_all(act, draft(act, billing))
    registration = billing["registrations"][0]
    notes = act(services.registration_credit, registration=registration, reason="Cancelled")
    assert len(notes) == 2  # one on the fund's invoice, one on the customer's
    registration.refresh_from_db()
    assert registration.billed_quantity == 0
    again = draft(act, billing, registrations=[registration], items=[])
    assert sorted(invoice.net_total for invoice in again) == [Decimal("360.00"), Decimal("540.00")]


def test_a_shared_line_is_not_changed_on_its_own(act, billing):
    add_funder(act, billing, percent=Decimal("40"))
    invoices = draft(act, billing)
    for invoice in invoices:
        line = invoice.lines.filter(registration__isnull=False).first()
        with pytest.raises(ValidationError, match="shared between the project's funders"):
            act(services.draft_line_update, line=line, quantity=1, unit_price=Decimal("1"))


def test_a_project_without_funders_bills_its_customer_as_before(act, billing):
    (invoice,) = draft(act, billing)
    assert invoice.net_total == Decimal("3790.00")
    assert set(invoice.lines.values_list("funder", flat=True)) == {None}


def test_a_bulk_run_splits_the_same_way(act, billing):
    add_funder(act, billing, percent=Decimal("40"))
    with TestCase.captureOnCommitCallbacks(execute=True):
        run, _created = act(
            services.run_start,
            key="funded",
            selection={"include_internal": False},
            grouping=Grouping.PROJECT,
        )
    run.refresh_from_db()
    assert run.status == "drafted", run.errors if hasattr(run, "errors") else run
    payers = by_payer(Invoice.objects.filter(run=run))
    assert payers["Skills Fund"].net_total == Decimal("1516.00")
    assert payers["Meridian Health"].net_total == Decimal("2274.00")


# --- The funders' rules ----------------------------------------------------------------------


def test_a_funder_needs_a_percentage_or_a_cap_and_an_account(act, billing):
    with pytest.raises(ValidationError, match="percentage, a cap, or both"):
        add_funder(act, billing)
    with pytest.raises(ValidationError, match="account its invoices go to"):
        add_funder(act, billing, percent=Decimal("10"), account=None)
    with pytest.raises(ValidationError):
        add_funder(act, billing, percent=Decimal("140"))


def test_a_funders_account_and_products_belong_to_the_tenant_and_its_currency(
    act, billing, world_b
):
    other = AccountFactory(tenant=world_b.tenant, name="Elsewhere")
    with pytest.raises(ValidationError, match="your own company"):
        add_funder(act, billing, percent=Decimal("10"), account=other)
    dollars = AccountFactory(tenant=billing["tenant"], sales_currency="USD")
    with pytest.raises(ValidationError, match="buys in USD"):
        add_funder(act, billing, percent=Decimal("10"), account=dollars)
    foreign = ProductFactory(tenant=world_b.tenant)
    with pytest.raises(ValidationError, match="your own company"):
        add_funder(act, billing, percent=Decimal("10"), products=[foreign])


def test_a_funder_on_invoices_cannot_be_removed(act, billing):
    grant = add_funder(act, billing, percent=Decimal("40"))
    spare = add_funder(act, billing, name="Spare", percent=Decimal("10"), priority=5)
    act(project_services.funder_delete, funder=spare)
    draft(act, billing)
    with pytest.raises(ValidationError, match="on invoices already"):
        act(project_services.funder_delete, funder=grant)
    assert ProjectFunder.objects.filter(pk=grant.pk).count() == 1


def test_the_customer_as_a_funder_is_billed_at_the_projects_billing_account(act, billing):
    customer = add_funder(act, billing, kind=FunderKind.CUSTOMER, name="Customer", cap=Decimal(1))
    assert customer.account == billing["project"].billing_account


def test_the_customer_can_pay_first_up_to_a_budget_and_a_levy_the_rest(act, billing):
    project = billing["project"]
    project.handling_fee_percent = Decimal("5")
    project.save()
    add_funder(act, billing, kind=FunderKind.CUSTOMER, name="Budget", cap=Decimal("1000"))
    add_funder(act, billing, name="Levy", priority=2, percent=Decimal("100"))
    invoices = draft(act, billing, items=[])
    budget = next(invoice for invoice in invoices if invoice.billing_account.name != "Levy")
    levy = next(invoice for invoice in invoices if invoice.billing_account.name == "Levy")
    assert len(invoices) == 2 and budget.billing_account == project.billing_account
    work = budget.lines.exclude(kind=LineKind.HANDLING_FEE)
    assert sum(line.net for line in work) == Decimal("1000.00")
    # The customer's invoice keeps the project's handling fee (5 % of its 1,000); the levy's
    # has none.
    assert budget.lines.get(kind=LineKind.HANDLING_FEE).net == Decimal("50.00")
    assert (
        levy.net_total == Decimal("2600.00")
        and not levy.lines.filter(kind=LineKind.HANDLING_FEE).count()
    )


# --- Revenue and reports follow the split ------------------------------------------------------


def test_the_projects_figures_count_each_split_row_once(act, billing):
    from reporting.selectors import project_figures

    add_funder(act, billing, percent=Decimal("40"), cap=Decimal("1000"))  # uneven shares
    figures_before = project_figures(billing["project"])
    issue_all(act, draft(act, billing))
    figures = project_figures(billing["project"])
    assert figures.invoiced == Decimal("3790.00")  # the sum of every payer's part
    assert figures_before.wip == Decimal("3790.00")
    assert abs(figures.wip) < Decimal("0.01")  # nothing left to invoice, and nothing counted twice
    invoices = Invoice.objects.filter(kind="invoice")
    for line in InvoiceLine.objects.filter(invoice__in=invoices, registration__isnull=False):
        assert Decimal(0) <= line.share <= Decimal(1)
    for registration in billing["registrations"]:
        shares = InvoiceLine.objects.filter(registration=registration).values_list(
            "share", flat=True
        )
        assert sum(shares) == Decimal(1)


def test_receivables_follow_each_invoices_billing_account(act, billing):
    import datetime

    from reporting.aged import aged_receivables

    add_funder(act, billing, percent=Decimal("40"))
    invoices = by_payer(issue_all(act, draft(act, billing)))
    report = aged_receivables(
        as_of=datetime.date.today() + datetime.timedelta(days=400), base_currency="EUR"
    )
    owed = {row.account_name: row.base_total for row in report.rows}
    assert owed["Skills Fund"] == invoices["Skills Fund"].gross_total
    assert owed["Meridian Health"] == invoices["Meridian Health"].gross_total


# --- Concurrency (PostgreSQL) -------------------------------------------------------------------


def _race(calls):
    import threading

    from django.db import connection

    barrier = threading.Barrier(len(calls))
    failures = []

    def run(call):
        try:
            barrier.wait()
            call()
        except Exception as error:
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return failures


@pytest.mark.postgres
def test_two_drafts_at_once_never_spend_the_same_cap_nor_bill_a_row_twice(postgres_only, world_a):
    import datetime

    from accounts.platform.tenancy import activate
    from tests.factories import EventFactory, ProjectFactory

    tenant = world_a.tenant
    project = ProjectFactory(account=AccountFactory(tenant=tenant))
    day = datetime.date(2026, 3, 1)
    event = EventFactory(project=project, start_date=day, end_date=day)
    rows = [
        Registration.objects.create(
            tenant=tenant,
            project=project,
            event=event,
            requested_date=day,
            status="delivered",
            unit_price=Decimal("800"),
            net_amount=Decimal("800"),
        )
        for _ in range(2)
    ]
    with activate(tenant):
        grant = project_services.funder_save(
            tenant=tenant,
            by=None,
            funder=ProjectFunder(
                project=project,
                kind=FunderKind.GRANT,
                name="Grant",
                account=AccountFactory(tenant=tenant),
                percent=Decimal("50"),
                cap=Decimal("500"),
            ),
        )

    def bill(row_ids):
        def call():
            with activate(tenant):
                services.drafts_create(
                    tenant=tenant, by=None, project=project, registration_ids=row_ids
                )

        return call

    # Two people draft one place each: the grant's 500 is spent once (400 + 100), not twice.
    assert _race([bill([rows[0].pk]), bill([rows[1].pk])]) == []
    # Two more drafts of the same places at once: both refused, nothing billed twice per payer.
    failures = _race([bill([row.pk for row in rows]), bill([row.pk for row in rows])])
    assert len(failures) == 2 and all(isinstance(f, ValidationError) for f in failures)
    with activate(tenant):
        assert sorted(grant.lines.values_list("net", flat=True)) == [Decimal("100"), Decimal("400")]
        claims = list(BillingClaim.objects.values_list("registration", "funder", "unit"))
        assert len(claims) == len(set(claims)) == 4  # each place: the customer's and the grant's
