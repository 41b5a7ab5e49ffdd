"""Cancellations, no-shows and transfers under the agreement's terms, end to end: the fee row,
its invoice line, the credit of an invoiced place, the figures (projects.services.cancellations
with invoicing's registration_credit)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from agreements import cancellations as rules
from invoicing import services as invoicing
from invoicing.models import Invoice, InvoiceKind, LineKind
from projects import services
from projects.billing import invoiceable_items, row_problem
from projects.models import EventStatus, FeeKind, Item, Registration, RegistrationStatus
from reporting.selectors import project_figures

# The billing fixture's events start on 1 and 2 March 2026.
NINE_DAYS_BEFORE = datetime.date(2026, 2, 20)


@pytest.fixture
def terms(billing):
    rules.cancellation_terms_save(
        tenant=billing["tenant"],
        by=billing["world"].admin,
        booking=None,
        bands=[(15, Decimal(0)), (7, Decimal(50)), (0, Decimal(100))],
        no_show_percent=Decimal(100),
        free_transfer_days=3,
    )


@pytest.fixture
def confirmed(billing):
    Registration.objects.filter(project=billing["project"]).update(
        status=RegistrationStatus.CONFIRMED
    )
    return [Registration.objects.get(pk=r.pk) for r in billing["registrations"]]


def cancel(act, registration, **kwargs):
    return act(services.registration_cancel, registration=registration, **kwargs)


def test_a_late_cancellation_leaves_a_fee_billed_on_its_own_line(act, billing, terms, confirmed):
    place = confirmed[0]  # net 900.00 on 1 March
    quote = cancel(act, place, on_date=NINE_DAYS_BEFORE)
    assert quote.fee.amount == Decimal("450.00")
    place.refresh_from_db()
    assert place.status == RegistrationStatus.CANCELLED
    assert place.cancelled_on == NINE_DAYS_BEFORE
    fee = Item.objects.get(fee_for=place)
    assert fee.fee_kind == FeeKind.CANCELLATION
    assert fee.net_amount == Decimal("450.00")
    assert "cancelled 9 days before the start: 50 %" in fee.description
    assert row_problem(fee, billing["project"]) is None  # due at once
    (invoice,) = act(invoicing.drafts_create, project=billing["project"], item_ids=[fee.pk])
    (line,) = invoice.lines.all()
    assert line.kind == LineKind.CANCELLATION_FEE
    assert line.net == Decimal("450.00")
    assert "50 %" in line.description
    assert line.tax_percent == 20  # the course's rate


def test_an_early_cancellation_is_free_and_leaves_nothing_to_bill(act, billing, terms, confirmed):
    quote = cancel(act, confirmed[0], on_date=datetime.date(2026, 1, 2))
    assert quote.fee.is_free
    assert not Item.objects.filter(fee_for=confirmed[0]).count()


def test_cancelling_an_invoiced_place_credits_it_and_bills_the_fee_in_one_step(act, billing, terms):
    place = billing["registrations"][0]  # delivered: invoice it first, then confirm it back
    (invoice,) = act(
        invoicing.drafts_create, project=billing["project"], registration_ids=[place.pk]
    )
    act(invoicing.invoice_issue, invoice=invoice, render_pdf=False)
    Registration.objects.filter(pk=place.pk).update(status=RegistrationStatus.CONFIRMED)
    place.refresh_from_db()
    quote = act(
        services.registration_cancel,
        registration=place,
        on_date=NINE_DAYS_BEFORE,
        expected_fee=Decimal("450.00"),
    )
    assert quote.credits_invoice
    (note,) = Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE, credits=invoice)
    assert note.net_total == Decimal("-900.00")
    assert "cancelled 9 days before the start" in note.external_notes
    place.refresh_from_db()
    assert not place.invoiced and place.billed_quantity == 0
    fee = Item.objects.get(fee_for=place)
    assert fee.net_amount == Decimal("450.00")
    # Nothing twice: the place is credited, the fee is what stays to invoice.
    figures = project_figures(billing["project"])
    assert figures.invoiced == Decimal("0.00")


def test_a_place_on_a_draft_is_not_cancelled_until_taken_off_it(act, billing, terms, confirmed):
    billing["project"].billing_moment = "on_confirmation"
    billing["project"].save()
    act(invoicing.drafts_create, project=billing["project"], registration_ids=[confirmed[0].pk])
    with pytest.raises(ValidationError, match="take it off the draft"):
        cancel(act, Registration.objects.get(pk=confirmed[0].pk), on_date=NINE_DAYS_BEFORE)
    assert Registration.objects.get(pk=confirmed[0].pk).status == RegistrationStatus.CONFIRMED
    assert not Item.objects.filter(fee_for=confirmed[0]).count()


def test_a_fee_that_changed_since_it_was_shown_is_not_charged(act, billing, terms, confirmed):
    with pytest.raises(ValidationError, match=r"The fee is now 450\.00"):
        cancel(act, confirmed[0], on_date=NINE_DAYS_BEFORE, expected_fee=Decimal("0.00"))
    assert Registration.objects.get(pk=confirmed[0].pk).status == RegistrationStatus.CONFIRMED


def test_a_no_show_is_billed_per_the_rule_and_its_cost_counts(act, billing, terms, confirmed):
    cost_before = project_figures(billing["project"]).cost
    Registration.objects.filter(pk=confirmed[0].pk).update(unit_cost=Decimal("100.00"))
    quote = act(services.registration_mark_no_show, registration=confirmed[0])
    assert quote.fee.amount == Decimal("900.00")
    fee = Item.objects.get(fee_for=confirmed[0])
    assert fee.fee_kind == FeeKind.NO_SHOW
    (invoice,) = act(invoicing.drafts_create, project=billing["project"], item_ids=[fee.pk])
    assert invoice.lines.get().kind == LineKind.NO_SHOW_FEE
    assert project_figures(billing["project"]).cost == cost_before + Decimal("100.00")


def test_an_invoiced_no_show_at_the_full_rate_stays_invoiced(act, billing, terms):
    place = billing["registrations"][0]
    (invoice,) = act(
        invoicing.drafts_create, project=billing["project"], registration_ids=[place.pk]
    )
    act(invoicing.invoice_issue, invoice=invoice, render_pdf=False)
    act(services.registration_mark_no_show, registration=place)
    place.refresh_from_db()
    assert place.status == RegistrationStatus.NO_SHOW and place.invoiced
    assert not Item.objects.filter(fee_for=place).count()
    assert not Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE).count()


def test_the_last_open_place_a_no_show_closes_delivers_the_event(act, billing, terms):
    event = billing["events"][0]
    _delivered, second = (r for r in billing["registrations"] if r.event_id == event.pk)
    Registration.objects.filter(pk=second.pk).update(status=RegistrationStatus.CONFIRMED)
    act(services.registration_mark_no_show, registration=Registration.objects.get(pk=second.pk))
    event.refresh_from_db()
    assert event.status == EventStatus.DELIVERED


def test_a_free_transfer_keeps_the_price_and_the_invoice_history(act, billing, terms):
    place = billing["registrations"][0]
    (invoice,) = act(
        invoicing.drafts_create, project=billing["project"], registration_ids=[place.pk]
    )
    act(invoicing.invoice_issue, invoice=invoice, render_pdf=False)
    Registration.objects.filter(pk=place.pk).update(status=RegistrationStatus.CONFIRMED)
    later = billing["events"][1]  # same course, starts a day later
    colleague = billing["registrations"][3].learner
    moved = act(
        services.registration_transfer,
        registration=Registration.objects.get(pk=place.pk),
        learner=colleague,
        event=later,
        on_date=datetime.date(2026, 2, 1),
    )
    assert moved.event == later and moved.learner == colleague
    assert moved.unit_price == Decimal("1000.00") and moved.net_amount == Decimal("900.00")
    assert moved.invoiced and invoice.lines.get().registration_id == place.pk


def test_a_transfer_after_the_deadline_is_refused_saying_to_cancel(act, billing, terms, confirmed):
    with pytest.raises(ValidationError, match=r"Free transfers .* end on 26 Feb 2026"):
        act(
            services.registration_transfer,
            registration=confirmed[0],
            learner=billing["registrations"][3].learner,
            on_date=datetime.date(2026, 2, 27),
        )


def test_a_transfer_goes_to_a_later_event_of_the_same_course_only(act, billing, terms, confirmed):
    with pytest.raises(ValidationError, match="starts after"):
        act(
            services.registration_transfer,
            registration=confirmed[1],  # on the second event
            event=billing["events"][0],
            on_date=datetime.date(2026, 2, 1),
        )


def test_a_bare_status_change_cannot_cancel_or_mark_a_no_show(act, billing, confirmed):
    for status in (RegistrationStatus.CANCELLED, RegistrationStatus.NO_SHOW):
        with pytest.raises(ValidationError, match="cancellation terms"):
            act(
                services.registrations_set_status,
                project=billing["project"],
                ids=[confirmed[0].pk],
                status=status,
            )
        with pytest.raises(ValidationError, match="cancellation terms"):
            act(services.registration_update, registration=confirmed[0], status=status)


def test_fees_are_in_the_project_figures_like_any_item(act, billing, terms, confirmed):
    before = project_figures(billing["project"])
    cancel(act, confirmed[0], on_date=NINE_DAYS_BEFORE)
    after = project_figures(billing["project"])
    assert after.delivered - before.delivered == Decimal("450.00")
    assert Item.objects.filter(invoiceable_items(), fee_kind=FeeKind.CANCELLATION).count() == 1


# --- What a second read found ------------------------------------------------------------------


def test_finance_cancels_an_invoiced_place_and_staff_are_told_to_ask_them(
    act, billing, terms, client_for
):
    place = billing["registrations"][0]
    (invoice,) = act(
        invoicing.drafts_create, project=billing["project"], registration_ids=[place.pk]
    )
    act(invoicing.invoice_issue, invoice=invoice, render_pdf=False)
    Registration.objects.filter(pk=place.pk).update(status=RegistrationStatus.CONFIRMED)
    project = billing["project"]
    url = f"/alpha/projects/{project.pk}/registrations/cancel/"
    data = {"selected": [place.pk], "no_show": "0", "confirm": "1"}
    staff = client_for(billing["world"].staff).post(url, data)
    assert staff.status_code == 422
    assert "settling it credits the invoice, which finance or an admin does" in (
        staff.content.decode()
    )
    assert Registration.objects.get(pk=place.pk).status == RegistrationStatus.CONFIRMED
    preview = client_for(billing["world"].finance).post(url, {"selected": [place.pk]})
    assert preview.status_code == 200 and "credited" in preview.content.decode()
    assert Registration.objects.get(pk=place.pk).status == RegistrationStatus.CONFIRMED
    done = client_for(billing["world"].finance).post(url, data)
    assert done.status_code == 302
    assert Registration.objects.get(pk=place.pk).status == RegistrationStatus.CANCELLED
    assert Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE, credits=invoice).count() == 1
    assert client_for(billing["world"].viewer).post(url, data).status_code == 403


def test_a_no_show_at_the_full_rate_on_a_partly_billed_block_bills_the_whole_place(
    act, billing, terms
):
    event = billing["events"][0]
    block = Registration.objects.create(
        tenant=billing["tenant"],
        project=billing["project"],
        event=event,
        places=10,
        requested_date=datetime.date(2026, 2, 1),
        status=RegistrationStatus.DELIVERED,
        unit_price=Decimal("100.00"),
        net_amount=Decimal("1000.00"),
    )
    (invoice,) = act(
        invoicing.drafts_create, project=billing["project"], registration_ids=[block.pk]
    )
    line = invoice.lines.get()
    act(invoicing.draft_line_update, line=line, quantity=4, unit_price=line.unit_price)
    act(invoicing.invoice_issue, invoice=Invoice.objects.get(pk=invoice.pk), render_pdf=False)
    block.refresh_from_db()
    assert block.billed_quantity == 4
    quote = act(services.registration_mark_no_show, registration=block)
    assert quote.credits_invoice  # the 4 billed places are credited ...
    fee = Item.objects.get(fee_for=block)
    assert fee.net_amount == Decimal("1000.00")  # ... and the whole block billed as the fee


def test_a_fully_invoiced_no_show_on_a_draft_is_refused_until_taken_off_it(act, billing, terms):
    place = billing["registrations"][0]
    act(invoicing.drafts_create, project=billing["project"], registration_ids=[place.pk])
    with pytest.raises(ValidationError, match="take it off the draft"):
        act(services.registration_mark_no_show, registration=Registration.objects.get(pk=place.pk))
    assert Registration.objects.get(pk=place.pk).status == RegistrationStatus.DELIVERED


def test_a_no_show_is_recorded_once_the_event_has_started(act, billing, terms, confirmed):
    Registration.objects.filter(pk=confirmed[0].pk).update(status=RegistrationStatus.CONFIRMED)
    event = billing["events"][0]
    event.start_date = event.end_date = datetime.date(2099, 1, 1)
    event.save()
    with pytest.raises(ValidationError, match="is a no-show once it has started"):
        act(services.registration_mark_no_show, registration=confirmed[0])


def test_a_finished_project_refuses_cancellations(act, billing, terms, confirmed):
    from projects.models import Project

    Project.objects.filter(pk=billing["project"].pk).update(status="finished")
    with pytest.raises(ValidationError, match="is finished: reopen it"):
        cancel(act, confirmed[0], on_date=NINE_DAYS_BEFORE)


def test_a_transfer_to_a_full_event_is_refused(act, billing, terms, confirmed):
    later = billing["events"][1]
    later.capacity = 2  # two places on it already
    later.save()
    with pytest.raises(ValidationError, match="is full: 2 of 2 places are taken"):
        act(
            services.registration_transfer,
            registration=confirmed[0],
            event=later,
            on_date=datetime.date(2026, 2, 1),
        )


def test_a_fee_and_its_place_count_once_on_the_purchase_order_and_not_as_volume(
    act, billing, terms, confirmed
):
    from agreements.models import Interest
    from projects.models import Project, PurchaseOrder
    from projects.selectors import purchase_order_usage
    from projects.services import committed_usage
    from tests.factories import BookingFactory

    order = PurchaseOrder.objects.create(
        tenant=billing["tenant"], project=billing["project"], number="PO-9"
    )
    Registration.objects.filter(pk=confirmed[0].pk).update(purchase_order=order)
    place = Registration.objects.get(pk=confirmed[0].pk)
    assert purchase_order_usage([order.pk])[order.pk] == Decimal("900.00")
    act(services.registration_mark_no_show, registration=place)  # 100 %: a 900.00 fee
    assert purchase_order_usage([order.pk])[order.pk] == Decimal("900.00")
    course = billing["events"][0].product
    assert Item.objects.filter(fee_for=place, product=course).count() == 1
    booking = BookingFactory(account=billing["account"], currency="EUR")
    Interest.objects.create(
        tenant=billing["tenant"],
        booking=booking,
        product=course,
        unit_price=1000,
        committed_quantity=10,
    )
    Project.objects.filter(pk=billing["project"].pk).update(booking=booking)
    _, used = committed_usage(Project.objects.get(pk=billing["project"].pk), course.pk)
    assert used == Decimal(4)  # four places, the fee is no fifth


def test_an_invoiced_no_show_billed_in_full_is_revenue_recognised_on_delivery(act, billing, terms):
    from projects.models import Project, RevenueRecognition

    Project.objects.filter(pk=billing["project"].pk).update(
        revenue_recognition=RevenueRecognition.ON_DELIVERY
    )
    place = billing["registrations"][0]
    (invoice,) = act(
        invoicing.drafts_create, project=billing["project"], registration_ids=[place.pk]
    )
    act(invoicing.invoice_issue, invoice=invoice, render_pdf=False)
    before = project_figures(billing["project"])
    act(services.registration_mark_no_show, registration=Registration.objects.get(pk=place.pk))
    after = project_figures(billing["project"])
    assert after.recognised == before.recognised  # the place stays earned
    assert after.invoiced == before.invoiced
    assert after.wip == before.wip


def test_the_cancel_page_reads_the_terms_once_however_many_places(
    billing, terms, confirmed, client_for
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(billing["world"].staff)
    url = f"/alpha/projects/{billing['project'].pk}/registrations/cancel/"
    with CaptureQueriesContext(connection) as one:
        assert client.get(url, {"selected": [confirmed[0].pk]}).status_code == 200
    with CaptureQueriesContext(connection) as four:
        assert client.get(url, {"selected": [r.pk for r in confirmed]}).status_code == 200
    assert len(four) == len(one)
