"""One truth for money: a project's figures read the same on every page, report and export.

Every figure is read the way a user reads it (pages through the test client, the CSV files), never
from the selector the pages share, so a page that computed its own figure would fail here.
"""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.platform.money import line_net
from accounts.platform.tenancy import activate
from invoicing import services
from invoicing.models import BillingClaim, ExchangeRate, InvoiceLine
from projects import services as project_services
from projects.models import Registration
from reporting.selectors import Figures
from tests.factories import (
    AccountFactory,
    EventFactory,
    ItemFactory,
    ProductFactory,
    ProjectFactory,
)

TODAY = datetime.date.today()
PAST = TODAY - datetime.timedelta(days=40)


def _registration(project, event, *, places=1, status="delivered", price="500", cost="100"):
    return Registration.objects.create(
        tenant=project.tenant,
        project=project,
        event=event,
        places=places,
        requested_date=event.start_date,
        status=status,
        unit_price=Decimal(price),
        net_amount=line_net(places, Decimal(price), 0, project.currency),
        unit_cost=Decimal(cost),
    )


def figures_everywhere(world, project) -> dict[str, dict]:
    """The project's money as each page and file shows it."""
    viewer, finance = world.viewer, world.finance
    from django.test import Client

    def client(user):
        c = Client()
        c.force_login(user)
        return c

    base = f"/{world.tenant.slug}/projects/{project.pk}"
    seen = {}
    overview = client(viewer).get(f"{base}/")
    ((_template, panel),) = overview.context["money_panels"]
    seen["overview"] = _pick(panel["figures"])
    seen["profitability tab"] = _pick(
        client(viewer).get(f"{base}/profitability/").context["figures"]
    )
    invoices_tab = client(viewer).get(f"{base}/invoices/").context
    seen["invoices tab"] = {"invoiced": invoices_tab["invoiced"]}
    report = client(viewer).get(f"/{world.tenant.slug}/reports/profitability/").context["rows"]
    # A project with nothing to report (no invoice, delivery or cost) has no row: all zero.
    (row,) = [r for r in report if r.label.startswith(project.code + " ")] or [None]
    seen["report"] = _pick(row.figures if row else Figures())
    report_csv = client(viewer).get(f"/{world.tenant.slug}/reports/profitability/?format=csv")
    zero = dict.fromkeys(
        ["revenue_invoiced", "revenue_recognised", "work_in_progress", "cost", "profit"], "0"
    )
    (csv_row,) = [
        r
        for r in csv.DictReader(io.StringIO(report_csv.content.decode()))
        if r["Project"].startswith(project.code + " ")
    ] or [zero]
    seen["report csv"] = {
        "invoiced": Decimal(csv_row["revenue_invoiced"]),
        "recognised": Decimal(csv_row["revenue_recognised"]),
        "wip": Decimal(csv_row["work_in_progress"]),
        "cost": Decimal(csv_row["cost"]),
        "profit": Decimal(csv_row["profit"]),
    }
    custom = (
        client(viewer)
        .get(
            f"/{world.tenant.slug}/reports/custom/",
            {"dimensions": "project", "measures": ["invoiced", "recognised", "cost", "profit"]},
        )
        .context["result"]
    )
    (cells,) = [
        cell for labels, _c, cell in custom.rows if labels[0].startswith(project.code + " ")
    ] or [Figures()]
    seen["custom report"] = {
        k: getattr(cells, k) for k in ("invoiced", "recognised", "cost", "profit")
    }
    reconciliation = client(finance).get(f"/{world.tenant.slug}/exports/reconciliation.csv")
    text = b"".join(reconciliation.streaming_content).decode()
    seen["reconciliation"] = {
        "invoiced": sum(
            (
                Decimal(r["net"])
                for r in csv.DictReader(io.StringIO(text))
                if r["project_code"] == project.code
            ),
            Decimal(0),
        )
    }
    return seen


def _pick(figures) -> dict:
    return {k: getattr(figures, k) for k in ("invoiced", "recognised", "wip", "cost", "profit")}


def assert_all_agree(seen: dict[str, dict]) -> dict:
    """Every page that shows a figure shows the same figure, to the cent."""
    agreed: dict = {}
    for page, figures in seen.items():
        for name, value in figures.items():
            value = Decimal(value).quantize(Decimal("0.01"))
            agreed.setdefault(name, (page, value))
            first_page, first = agreed[name]
            assert value == first, f"{name}: {page} shows {value}, {first_page} shows {first}"
    return {name: value for name, (_page, value) in agreed.items()}


@pytest.fixture
def shop(world_a):
    tenant = world_a.tenant
    with activate(tenant):
        ExchangeRate.objects.create(tenant=tenant, currency="GBP", date=PAST, rate="1.15")
        # Issuing takes a rate at most 7 days old (invoicing settings): the same rate, today.
        ExchangeRate.objects.create(tenant=tenant, currency="GBP", date=TODAY, rate="1.15")
    return world_a


def test_marking_every_place_delivered_leaves_the_tab_and_the_report_together(shop, client_for):
    """The tab once counted the cost of events not delivered and the report only events whose
    status was *Delivered*, which marking every place delivered never set."""
    project = ProjectFactory(account=AccountFactory(tenant=shop.tenant), currency="EUR")
    done = EventFactory(project=project, start_date=PAST, end_date=PAST, trainer_fee=Decimal("800"))
    later = EventFactory(
        project=project,
        start_date=TODAY + datetime.timedelta(days=30),
        end_date=TODAY + datetime.timedelta(days=31),
        trainer_fee=Decimal("999"),
    )
    rows = [_registration(project, done, status="confirmed") for _ in range(3)]
    _registration(project, later, status="confirmed")
    response = client_for(shop.staff).post(
        f"/alpha/projects/{project.pk}/registrations/status/",
        {"selected": [r.pk for r in rows], "status": "delivered"},
        follow=True,
    )
    assert "the event is marked delivered" in response.content.decode()
    done.refresh_from_db()
    assert done.status == "delivered"
    agreed = assert_all_agree(figures_everywhere(shop, project))
    # 3 places x 100 and the delivered course's 800; the course next month costs nothing yet.
    assert agreed["cost"] == Decimal("1100.00")
    assert agreed["invoiced"] == 0 and agreed["wip"] == Decimal("1500.00")


def test_an_event_that_ended_counts_its_cost_even_if_nobody_marked_it(shop):
    project = ProjectFactory(account=AccountFactory(tenant=shop.tenant), currency="EUR")
    EventFactory(project=project, start_date=PAST, end_date=PAST, trainer_fee=Decimal("700"))
    EventFactory(
        project=project, start_date=PAST, end_date=PAST, status="cancelled", venue_cost=Decimal("5")
    )
    agreed = assert_all_agree(figures_everywhere(shop, project))
    assert agreed["cost"] == Decimal("700.00")


def test_a_draft_is_on_drafts_never_invoiced(shop, client_for):
    project = ProjectFactory(account=AccountFactory(tenant=shop.tenant), currency="EUR")
    event = EventFactory(project=project, start_date=PAST, end_date=PAST)
    rows = [_registration(project, event, price="585") for _ in range(2)]
    with activate(shop.tenant):
        services.drafts_create(
            tenant=shop.tenant,
            by=shop.finance,
            project=project,
            registration_ids=[r.pk for r in rows],
        )
    tab = client_for(shop.viewer).get(f"/alpha/projects/{project.pk}/invoices/")
    assert tab.context["invoiced"] == 0 and tab.context["on_drafts"] == Decimal("1170.00")
    assert "on drafts, not yet issued" in tab.content.decode()
    agreed = assert_all_agree(figures_everywhere(shop, project))
    assert agreed["invoiced"] == 0
    # Still delivered and not invoiced: work in progress, until the draft is issued.
    assert agreed["wip"] == Decimal("1170.00")


def test_the_billing_cap_counts_a_credited_invoice_once(shop):
    """Cap 1,000, invoice 600, full credit: 1,000 is left again (not 1,600)."""
    project = ProjectFactory(
        account=AccountFactory(tenant=shop.tenant),
        currency="EUR",
        max_billing_amount=Decimal("1000"),
    )
    event = EventFactory(project=project, start_date=PAST, end_date=PAST)
    first = _registration(project, event, price="600")
    big = _registration(project, event, price="1100")
    fits = _registration(project, event, price="900")
    with activate(shop.tenant):
        call = {"tenant": shop.tenant, "by": shop.finance}
        (draft,) = services.drafts_create(**call, project=project, registration_ids=[first.pk])
        issued = services.invoice_issue(**call, invoice=draft, render_pdf=False)
        services.invoice_credit(**call, invoice=issued, reason="Wrong customer")
        with pytest.raises(Exception, match=r"0\.00 is invoiced, so 1,000\.00 is left"):
            services.drafts_create(**call, project=project, registration_ids=[big.pk])
        (ok,) = services.drafts_create(**call, project=project, registration_ids=[fits.pk])
        assert services.invoice_issue(**call, invoice=ok, render_pdf=False).net_total == 900


def test_the_rest_of_a_block_is_billed_later_and_a_credit_releases_exactly_its_part(shop):
    project = ProjectFactory(account=AccountFactory(tenant=shop.tenant), currency="EUR")
    event = EventFactory(project=project, start_date=PAST, end_date=PAST)
    block = _registration(project, event, places=3, price="400")
    with activate(shop.tenant):
        call = {"tenant": shop.tenant, "by": shop.finance}
        (first,) = services.drafts_create(**call, project=project, registration_ids=[block.pk])
        line = first.lines.get()
        services.draft_line_update(**call, line=line, quantity=1, unit_price="400")
        first = services.invoice_issue(**call, invoice=first, render_pdf=False)
        block.refresh_from_db()
        assert block.billed_quantity == 1 and first.net_total == 400
        (rest,) = services.drafts_create(**call, project=project, registration_ids=[block.pk])
        rest_line = rest.lines.get()
        assert rest_line.quantity == 2 and rest_line.net == 800
        assert "2 of 3 places" in rest_line.description
        services.invoice_issue(**call, invoice=rest, render_pdf=False)
        assert sorted(
            BillingClaim.objects.filter(registration=block).values_list("unit", flat=True)
        ) == [1, 2, 3]
        with pytest.raises(Exception, match="on an invoice already"):
            services.drafts_create(**call, project=project, registration_ids=[block.pk])
        services.invoice_credit(**call, invoice=first, reason="One place was not taken")
        block.refresh_from_db()
        assert block.billed_quantity == 2
        (again,) = services.drafts_create(**call, project=project, registration_ids=[block.pk])
        assert again.lines.get().quantity == 1
    agreed = assert_all_agree(figures_everywhere(shop, project))
    assert agreed["invoiced"] == Decimal("800.00")


def test_a_two_day_event_is_delivered_on_its_last_day(shop):
    """ "Delivered until day -6" leaves out a course that runs on days -6 and -5."""
    from invoicing.selectors import run_candidates

    project = ProjectFactory(account=AccountFactory(tenant=shop.tenant), currency="EUR")
    day = TODAY - datetime.timedelta(days=6)
    event = EventFactory(project=project, start_date=day, end_date=day + datetime.timedelta(days=1))
    _registration(project, event)
    with activate(shop.tenant):
        included, _ = run_candidates(date_to=day, project=project)
        assert included == {}
        included, _ = run_candidates(date_to=day + datetime.timedelta(days=1), project=project)
        assert len(included[project.pk]["registrations"]) == 1


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    currency=st.sampled_from(["EUR", "GBP"]),
    recognition=st.sampled_from(["on_invoice", "on_delivery"]),
    places=st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=4),  # places (a block when more than one)
            st.sampled_from(["requested", "confirmed", "delivered", "cancelled", "no_show"]),
            st.decimals(min_value=0, max_value=2000, places=2),  # unit price
            st.decimals(min_value=0, max_value=500, places=2),  # unit cost
        ),
        min_size=1,
        max_size=5,
    ),
    item_quantity=st.sampled_from([None, Decimal("1"), Decimal("2.5")]),
    event_fee=st.decimals(min_value=0, max_value=3000, places=2),
    event_state=st.sampled_from(["planned", "delivered", "cancelled"]),
    billing=st.sampled_from(["nothing", "draft", "issue", "issue+credit line", "issue+credit all"]),
)
def test_every_page_report_and_export_agrees(
    shop, currency, recognition, places, item_quantity, event_fee, event_state, billing
):
    """Generated projects (events with costs, named and block places in every status, items,
    drafts, issued invoices, partial and full credits, two currencies): the overview, the
    profitability and invoices tabs, the report and its CSV, the custom report and the
    reconciliation rows agree to the cent, and no draft moves an invoiced figure."""
    tenant = shop.tenant
    product = ProductFactory(tenant=tenant, currency=currency)
    project = ProjectFactory(
        account=AccountFactory(tenant=tenant), currency=currency, revenue_recognition=recognition
    )
    event = EventFactory(
        project=project,
        product=product,
        start_date=PAST,
        end_date=PAST + datetime.timedelta(days=1),
        status=event_state,
        trainer_fee=event_fee,
    )
    rows = [
        _registration(project, event, places=n, status=status, price=price, cost=cost)
        for n, status, price, cost in places
    ]
    items = []
    if item_quantity is not None:
        items.append(
            ItemFactory(
                project=project,
                product=ProductFactory(tenant=tenant, currency=currency, kind="fee"),
                date=PAST,
                quantity=item_quantity,
                unit_price=Decimal("80"),
                net_amount=line_net(item_quantity, Decimal("80"), 0, currency),
                unit_cost=Decimal("15"),
            )
        )
    before = assert_all_agree(figures_everywhere(shop, project))
    delivered = [r.pk for r in rows if r.status == "delivered"]
    with activate(tenant):
        call = {"tenant": tenant, "by": shop.finance}
        if billing != "nothing" and (delivered or items):
            drafts = services.drafts_create(
                **call,
                project=project,
                registration_ids=delivered,
                item_ids=[i.pk for i in items],
                grouping="registration",
            )
            if billing == "draft":
                after = assert_all_agree(figures_everywhere(shop, project))
                assert after["invoiced"] == before["invoiced"] == 0  # a draft never counts
            else:
                issued = [
                    services.invoice_issue(**call, invoice=d, render_pdf=False) for d in drafts
                ]
                if billing == "issue+credit all":
                    services.invoice_credit(**call, invoice=issued[0], reason="test")
                elif billing == "issue+credit line":
                    line = InvoiceLine.objects.filter(invoice=issued[-1]).first()
                    services.invoice_credit(
                        **call, invoice=issued[-1], line_ids=[line.pk], reason="test"
                    )
    agreed = assert_all_agree(figures_everywhere(shop, project))
    assert agreed["profit"] == agreed["recognised"] - agreed["cost"]


def test_marking_delivered_through_the_service_reports_the_events(shop):
    project = ProjectFactory(account=AccountFactory(tenant=shop.tenant), currency="EUR")
    event = EventFactory(project=project, start_date=PAST, end_date=PAST)
    rows = [_registration(project, event, status="confirmed") for _ in range(2)]
    with activate(shop.tenant):
        change = project_services.registrations_set_status(
            tenant=shop.tenant, by=shop.staff, project=project, ids=[rows[0].pk], status="delivered"
        )
        assert change.events_delivered == []  # one place is still open
        project_services.registration_mark_no_show(
            tenant=shop.tenant, by=shop.staff, registration=rows[1]
        )  # the last open place, under the terms: the event is delivered with it
        event.refresh_from_db()
        assert event.status == "delivered"


def test_a_unit_billed_meanwhile_is_never_claimed_twice(shop):
    """What the database refuses when a second bill of a block's rest arrives after the first
    committed (the row check of the page was passed before): a conflict, not a fourth place."""
    from django.db import IntegrityError, transaction

    from invoicing.services.claims import claim

    project = ProjectFactory(account=AccountFactory(tenant=shop.tenant), currency="EUR")
    event = EventFactory(project=project, start_date=PAST, end_date=PAST)
    block = _registration(project, event, places=3, price="400")
    with activate(shop.tenant):
        (draft,) = services.drafts_create(
            tenant=shop.tenant, by=shop.finance, project=project, registration_ids=[block.pk]
        )
        line = draft.lines.get()
        late = InvoiceLine(
            tenant=shop.tenant, invoice=draft, registration=block, quantity=1, net=400
        )
        late.pk = line.pk  # as if it were another draft's line for the same row
        with pytest.raises(IntegrityError), transaction.atomic():
            claim([late])
        assert BillingClaim.objects.filter(registration=block).count() == 3
