"""Phases and billing milestones (issue 13 part 1, issue 14 "by milestone"): a milestone is billed
as an item linked to it, due when its date is reached or its phase's events are delivered; the
rows of a phase billed by milestone are not invoiced one by one. The review page's check, the
querysets and bulk runs say the same (projects.billing)."""

import datetime
import itertools
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from invoicing import services as invoicing
from invoicing.models import InvoiceLine
from invoicing.selectors import run_candidates
from projects import services
from projects.billing import invoiceable_items, invoiceable_registrations, row_problem
from projects.models import (
    EventStatus,
    Item,
    Milestone,
    MilestoneDue,
    Phase,
    PhaseBilling,
    PrivateEvent,
    Registration,
)
from tests.factories import ProductFactory

TODAY = datetime.date(2026, 11, 30)


@pytest.fixture
def phase(billing, act):
    """Phase "Design" holding both events of the project, with a budget of 10,000."""
    phase = act(
        services.phase_save,
        phase=Phase(
            project=billing["project"],
            name="Design",
            start_date=datetime.date(2026, 3, 1),
            end_date=datetime.date(2026, 3, 31),
            budget=Decimal("10000"),
        ),
    )
    PrivateEvent.objects.filter(project=billing["project"]).update(phase=phase)
    return phase


@pytest.fixture
def fee_product(billing):
    return ProductFactory(tenant=billing["tenant"], code="PM", name="Programme management")


def milestone(act, phase, product, **fields):
    values = {"name": "Sign-off", "due": MilestoneDue.ON_DATE, "due_date": TODAY}
    values.update(fields)
    return act(services.milestone_save, milestone=Milestone(phase=phase, product=product, **values))


def item_of(milestone):
    return Item.objects.select_related("product", "phase", "milestone__phase").get(
        milestone=milestone
    )


def test_a_percentage_milestone_bills_its_share_of_the_phase_budget_and_says_so(
    act, billing, phase, fee_product
):
    first = milestone(act, phase, fee_product, name="Kick-off", amount=Decimal("1500"))
    second = milestone(act, phase, fee_product, percent=Decimal("40"))
    assert (first.number, second.number) == (1, 2)
    item = item_of(second)
    assert item.unit_price == item.net_amount == Decimal("4000.00")
    assert item.description == "Milestone 2 of phase Design (Sign-off): 40 % of 10,000.00 EUR"
    phase.budget = Decimal("12000")
    act(services.phase_save, phase=phase)
    assert item_of(second).unit_price == Decimal("4800.00")  # follows the budget until invoiced


def test_a_milestone_needs_an_amount_or_a_percentage_and_a_date_when_due_on_one(
    act, phase, fee_product
):
    with pytest.raises(ValidationError, match="either an amount or a percentage"):
        milestone(act, phase, fee_product)
    with pytest.raises(ValidationError, match="date the milestone is due on"):
        milestone(act, phase, fee_product, amount=Decimal("10"), due_date=None)
    assert (
        Milestone.objects.count() == 0 and Item.objects.filter(milestone__isnull=False).count() == 0
    )


def test_a_milestone_due_on_a_date_waits_for_it(act, billing, phase, fee_product):
    due = milestone(act, phase, fee_product, amount=Decimal("500"), due_date=TODAY)
    item = item_of(due)
    assert row_problem(item, billing["project"], today=TODAY - datetime.timedelta(days=1)) == (
        "milestone 1 of phase Design is due on 30 Nov 2026"
    )
    assert row_problem(item, billing["project"], today=TODAY) is None


def test_a_milestone_due_on_delivery_waits_for_every_event_of_its_phase(
    act, billing, phase, fee_product
):
    due = milestone(
        act, phase, fee_product, amount=Decimal("500"), due=MilestoneDue.EVENTS_DELIVERED
    )
    first, second = billing["events"]
    PrivateEvent.objects.filter(pk=first.pk).update(status=EventStatus.DELIVERED)
    assert row_problem(item_of(due), billing["project"]) == (
        "milestone 1 of phase Design is due once the phase's events are delivered "
        "(1 of 2 delivered)"
    )
    assert Item.objects.filter(invoiceable_items(), milestone=due).count() == 0
    PrivateEvent.objects.filter(pk=second.pk).update(status=EventStatus.CANCELLED)
    assert row_problem(item_of(due), billing["project"]) is None
    assert Item.objects.filter(invoiceable_items(), milestone=due).count() == 1


def test_a_phase_billed_by_milestone_invoices_its_milestones_not_its_rows(
    act, billing, phase, fee_product
):
    billing["item"].phase = phase
    billing["item"].save()
    phase.billing_moment = PhaseBilling.BY_MILESTONE
    act(services.phase_save, phase=phase)
    due = milestone(act, phase, fee_product, percent=Decimal("40"))
    registration = Registration.objects.select_related("event__phase", "event__product").get(
        pk=billing["registrations"][0].pk
    )
    assert row_problem(registration, billing["project"]) == (
        "it is billed by the milestones of phase Design"
    )
    with pytest.raises(ValidationError, match="billed by the milestones of phase Design"):
        act(invoicing.drafts_create, project=billing["project"], item_ids=[billing["item"].pk])
    included, _ = run_candidates()
    assert included[billing["project"].pk]["registrations"] == []
    assert included[billing["project"].pk]["items"] == [item_of(due).pk]
    (invoice,) = act(
        invoicing.drafts_create, project=billing["project"], item_ids=[item_of(due).pk]
    )
    (line,) = InvoiceLine.objects.filter(invoice=invoice)
    assert line.description == "Milestone 1 of phase Design (Sign-off): 40 % of 10,000.00 EUR"
    assert line.net == Decimal("4000.00")
    assert line.product_code == "PM"


def test_an_invoiced_milestone_keeps_its_amount(act, billing, phase, fee_product):
    due = milestone(act, phase, fee_product, percent=Decimal("40"))
    act(invoicing.drafts_create, project=billing["project"], item_ids=[item_of(due).pk])
    phase.budget = Decimal("20000")
    with pytest.raises(ValidationError, match="on an invoice already"):
        act(services.phase_save, phase=phase)
    assert item_of(due).unit_price == Decimal("4000.00")


@pytest.mark.parametrize(
    ("due_kind", "days", "event_status", "phase_billing"),
    list(
        itertools.product(
            MilestoneDue.values,
            [-1, 0, 1],
            [EventStatus.PLANNED, EventStatus.DELIVERED, EventStatus.CANCELLED],
            PhaseBilling.values,
        )
    ),
)
def test_the_queryset_rule_and_the_row_check_agree_on_phases_and_milestones(
    act, billing, phase, fee_product, due_kind, days, event_status, phase_billing
):
    """One definition: every row of a phase and its milestone, the same by check and by Q."""
    Phase.objects.filter(pk=phase.pk).update(billing_moment=phase_billing)
    due = milestone(
        act,
        phase,
        fee_product,
        amount=Decimal("100"),
        due=due_kind,
        due_date=TODAY + datetime.timedelta(days=days),
    )
    billing["item"].phase = phase
    billing["item"].save()
    PrivateEvent.objects.filter(pk=billing["events"][0].pk).update(status=event_status)
    PrivateEvent.objects.filter(pk=billing["events"][1].pk).update(status=EventStatus.DELIVERED)
    project = billing["project"]
    included, _ = run_candidates()
    entry = included.get(project.pk, {"registrations": [], "items": []})
    for row in Registration.objects.filter(project=project).select_related(
        "event__phase", "event__product"
    ):
        by_check = row_problem(row, project) is None
        assert by_check == (
            Registration.objects.filter(invoiceable_registrations(), pk=row.pk).count() == 1
        )
        assert by_check == (row.pk in entry["registrations"])
    for row in Item.objects.filter(project=project).select_related(
        "phase", "product", "milestone__phase"
    ):
        by_check = row_problem(row, project, today=TODAY) is None
        assert by_check == (Item.objects.filter(invoiceable_items(TODAY), pk=row.pk).count() == 1)
    assert item_of(due).pk in entry["items"] or row_problem(item_of(due), project) is not None


def test_a_milestones_price_is_changed_on_the_milestone_not_overridden(
    act, billing, phase, fee_product
):
    due = milestone(act, phase, fee_product, amount=Decimal("500"))
    with pytest.raises(ValidationError, match="change the milestone's amount"):
        act(services.price_override, row=item_of(due), unit_price="1", reason="discount")
    assert item_of(due).unit_price == Decimal("500.00")


def test_a_template_project_is_never_invoiced(act, billing):
    project = billing["project"]
    project.is_template = True
    project.save()
    included, excluded = run_candidates()
    assert project.pk not in included
    assert (project, "the project is a template") in excluded
    with pytest.raises(ValidationError, match="the project is a template"):
        act(invoicing.drafts_create, project=project, item_ids=[billing["item"].pk])


# --- Removing a milestone or a phase ------------------------------------------------------------


def test_a_milestone_on_a_draft_or_an_issued_invoice_is_not_removed(
    act, billing, phase, fee_product
):
    due = milestone(act, phase, fee_product, amount=Decimal("500"))
    (draft,) = act(invoicing.drafts_create, project=billing["project"], item_ids=[item_of(due).pk])
    with pytest.raises(ValidationError, match="is on an invoice: credit that invoice"):
        act(services.milestone_delete, milestone=due)
    issued = act(invoicing.invoice_issue, invoice=draft, render_pdf=False)
    with pytest.raises(ValidationError, match="is on an invoice: credit that invoice"):
        act(services.milestone_delete, milestone=due)
    with pytest.raises(ValidationError, match="M1 Sign-off is on an invoice"):
        act(services.phase_delete, phase=phase)
    assert Milestone.objects.filter(pk=due.pk).count() == 1
    assert Phase.objects.filter(pk=phase.pk).count() == 1

    # Credited, it goes; the item the invoice and its credit note name stays, billing nothing.
    act(invoicing.invoice_credit, invoice=issued, reason="Signed off too early")
    item = item_of(due)
    act(services.milestone_delete, milestone=due)
    assert Milestone.objects.filter(phase=phase).count() == 0
    kept = Item.objects.get(pk=item.pk)
    assert kept.milestone_id is None and not kept.billable
    assert Item.objects.filter(invoiceable_items(), pk=item.pk).count() == 0


def test_a_milestone_never_invoiced_is_removed_with_its_item(act, billing, phase, fee_product):
    from accounts.platform.models import AuditEntry

    first = milestone(act, phase, fee_product, amount=Decimal("500"))
    second = milestone(act, phase, fee_product, name="Go-live", amount=Decimal("700"))
    item = item_of(first)
    act(services.milestone_delete, milestone=first)
    assert Item.objects.filter(pk=item.pk).count() == 0
    assert list(Milestone.objects.filter(phase=phase)) == [second]
    entry = AuditEntry.objects.get(action="milestone removed")
    assert entry.before["milestone"] == "M1 Sign-off" and entry.before["phase"] == "Design"


def test_a_removed_phase_leaves_its_events_and_items_on_the_project(
    act, billing, phase, fee_product
):
    billing["item"].phase = phase
    billing["item"].save()
    due = milestone(act, phase, fee_product, percent=Decimal("10"))
    milestone_item = item_of(due)
    act(services.phase_delete, phase=phase)
    assert Phase.objects.filter(project=billing["project"]).count() == 0
    assert Milestone.objects.count() == 0
    assert Item.objects.filter(pk=milestone_item.pk).count() == 0
    events = PrivateEvent.objects.filter(project=billing["project"])
    assert events.count() == 2 and events.filter(phase__isnull=True).count() == 2
    billing["item"].refresh_from_db()
    assert billing["item"].phase_id is None


def test_a_phase_lies_within_its_projects_dates(act, billing, phase):
    project = billing["project"]
    phase.start_date = project.start_date - datetime.timedelta(days=1)
    phase.end_date = project.end_date + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        act(services.phase_save, phase=phase)
    assert (
        "Design cannot start before the project does" in refused.value.message_dict["start_date"][0]
    )
    assert "Design cannot end after the project does" in refused.value.message_dict["end_date"][0]


def test_a_milestone_due_on_delivery_of_a_phase_without_events_says_it_waits(
    act, billing, fee_product
):
    empty = act(
        services.phase_save,
        phase=Phase(
            project=billing["project"],
            name="Follow-up",
            start_date=datetime.date(2026, 6, 1),
            end_date=datetime.date(2026, 6, 30),
        ),
    )
    due = milestone(
        act, empty, fee_product, amount=Decimal("500"), due=MilestoneDue.EVENTS_DELIVERED
    )
    assert row_problem(item_of(due), billing["project"]) == (
        "milestone 1 of phase Follow-up is waiting: the phase has no events yet"
    )
