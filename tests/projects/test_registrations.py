import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.platform.tenancy import activate
from agreements import pricing
from agreements.models import DiscountScope, Interest, PlaceCounting
from projects import services
from projects.models import (
    BudgetPolicy,
    Item,
    PrivateEvent,
    Project,
    PurchaseOrder,
    Registration,
    RegistrationStatus,
)
from tests.factories import AccountFactory, ContactFactory, DiscountFactory, ProductFactory

DAY = datetime.date(2026, 2, 1)


@pytest.fixture
def project(deal):
    with activate(deal["tenant"]):
        return services.project_save(
            tenant=deal["tenant"],
            by=None,
            project=Project(
                name="Leadership",
                account=deal["account"],
                booking=deal["booking"],
                start_date=datetime.date(2026, 1, 1),
                end_date=datetime.date(2026, 12, 31),
                budget_policy=BudgetPolicy.WARNING,
            ),
        )


@pytest.fixture
def course_event(deal, project):
    with activate(deal["tenant"]):
        return services.event_save(
            tenant=deal["tenant"],
            by=None,
            event=PrivateEvent(
                project=project,
                product=deal["course"],
                title="First-time manager",
                capacity=3,
                start_date=datetime.date(2026, 3, 2),
                end_date=datetime.date(2026, 3, 3),
            ),
        )


def register(deal, project, event, **kwargs):
    kwargs.setdefault("learners", deal["learners"][:1])
    kwargs.setdefault("requested_date", DAY)
    with activate(deal["tenant"]):
        return services.registrations_add(
            tenant=deal["tenant"], by=None, project=project, event=event, **kwargs
        )


def reload(deal, row):
    with activate(deal["tenant"]):
        return type(row).objects.get(pk=row.pk)


def test_the_agreed_price_is_stored_with_its_source_and_not_rewritten_later(
    deal, project, course_event
):
    (registration,) = register(deal, project, course_event)
    assert (registration.unit_price, registration.price_source) == (Decimal("1200.00"), "interest")
    assert registration.unit_cost == Decimal("400.00") and registration.net_amount == Decimal(
        "1200.00"
    )
    with activate(deal["tenant"]):
        Interest.objects.filter(booking=deal["booking"]).update(unit_price=Decimal("999"))
    assert reload(deal, registration).unit_price == Decimal("1200.00")


def test_named_learners_get_a_place_each_and_a_block_has_places(deal, project, course_event):
    named = register(deal, project, course_event, learners=deal["learners"][:2])
    block = register(deal, project, course_event, learners=[None], places=4, confirm=True)
    assert [r.places for r in named] == [1, 1] and [r.learner for r in named] == deal["learners"][
        :2
    ]
    assert block[0].places == 4 and block[0].learner is None
    assert block[0].net_amount == Decimal("4800.00")


def test_a_learner_of_another_customer_is_refused(deal, project, course_event):
    stranger = ContactFactory(account=AccountFactory(tenant=deal["tenant"]))
    with pytest.raises(ValidationError, match="is not a contact of Meridian Health"):
        register(deal, project, course_event, learners=[stranger])


def test_a_learner_of_a_child_account_is_accepted(deal, project, course_event):
    child = AccountFactory(tenant=deal["tenant"], parent=deal["account"])
    (registration,) = register(
        deal, project, course_event, learners=[ContactFactory(account=child)]
    )
    assert registration.learner.account == child


def test_a_full_event_warns_and_registers_once_confirmed(deal, project, course_event):
    register(deal, project, course_event, learners=deal["learners"][:3])
    with pytest.raises(services.NeedsConfirmation) as needed:
        register(deal, project, course_event, learners=deal["learners"][3:])
    assert "First-time manager is full: 3 of 3 places are taken" in needed.value.warnings[0]
    register(deal, project, course_event, learners=deal["learners"][3:], confirm=True)
    with activate(deal["tenant"]):
        assert Registration.objects.filter(event=course_event).count() == 4


def test_the_best_discount_is_taken_unless_another_or_none_is_chosen(deal, project, course_event):
    small = DiscountFactory(
        tenant=deal["tenant"],
        scope=DiscountScope.COURSE,
        product=deal["course"],
        percent=Decimal("5"),
    )
    big = DiscountFactory(
        tenant=deal["tenant"],
        scope=DiscountScope.COURSE,
        product=deal["course"],
        percent=Decimal("10"),
    )
    (auto,) = register(deal, project, course_event)
    assert (auto.discount_agreement, auto.net_amount) == (big, Decimal("1080.00"))
    (chosen,) = register(deal, project, course_event, discount_agreement=small)
    assert chosen.net_amount == Decimal("1140.00")
    (none,) = register(deal, project, course_event, discount_agreement=None, confirm=True)
    assert none.discount_percent == 0 and none.net_amount == Decimal("1200.00")


def test_a_discount_that_does_not_apply_is_refused(deal, project, course_event):
    elsewhere = DiscountFactory(
        tenant=deal["tenant"], scope=DiscountScope.COURSE, product=deal["other_course"]
    )
    with pytest.raises(ValidationError, match="does not apply"):
        register(deal, project, course_event, discount_agreement=elsewhere)


def test_an_event_discount_applies_to_its_event(deal, project, course_event):
    early_bird = DiscountFactory(
        tenant=deal["tenant"], scope=DiscountScope.EVENT, percent=Decimal("20")
    )
    course_event.discount_agreement = early_bird
    course_event.save()
    (registration,) = register(deal, project, course_event)
    assert registration.discount_agreement == early_bird


def test_passing_a_customers_discount_places_warns(deal, project, course_event):
    limited = DiscountFactory(
        tenant=deal["tenant"],
        scope=DiscountScope.COURSE,
        product=deal["course"],
        percent=Decimal("10"),
        max_places=1,
        place_counting=PlaceCounting.ACROSS_EVENTS,
    )
    register(deal, project, course_event)
    with pytest.raises(services.NeedsConfirmation) as needed:
        register(deal, project, course_event, learners=deal["learners"][1:2])
    assert "used 1 of 1 discounted places" in needed.value.warnings[0]
    with activate(deal["tenant"]):
        check = pricing.check_places(agreement=limited, account=deal["account"], places=1)
    assert check.used == 1


@pytest.mark.parametrize(
    ("policy", "outcome"),
    [
        (BudgetPolicy.NONE, "created"),
        (BudgetPolicy.WARNING, "confirm"),
        (BudgetPolicy.DISALLOW, "refused"),
    ],
)
def test_past_the_committed_volume_the_budget_policy_decides(deal, project, policy, outcome):
    project.budget_policy = policy
    project.save()
    with activate(deal["tenant"]):
        big_event = services.event_save(
            tenant=deal["tenant"],
            by=None,
            event=PrivateEvent(
                project=project,
                product=deal["course"],
                title="Big cohort",
                start_date=datetime.date(2026, 4, 1),
                end_date=datetime.date(2026, 4, 1),
            ),
        )
    register(deal, project, big_event, learners=[None], places=9)
    if outcome == "created":
        assert register(deal, project, big_event, learners=[None], places=2)
    elif outcome == "confirm":
        with pytest.raises(services.NeedsConfirmation) as needed:
            register(deal, project, big_event, learners=[None], places=2)
        assert (
            "commits 10; 9 are requested already, so 2 more would make 11"
            in (needed.value.warnings[0])
        )
    else:
        with pytest.raises(ValidationError) as refused:
            register(deal, project, big_event, learners=[None], places=2, confirm=True)
        assert "commits 10" in str(refused.value) and "refuses" in str(refused.value)
        with activate(deal["tenant"]):
            assert Registration.objects.filter(event=big_event).count() == 1


def test_a_purchase_orders_cap_follows_the_budget_policy(deal, project, course_event):
    project.budget_policy = BudgetPolicy.DISALLOW
    project.save()
    order = PurchaseOrder.objects.create(
        tenant=deal["tenant"], project=project, number="PO-77", value_cap=Decimal("2000")
    )
    register(deal, project, course_event, purchase_order=order)
    with pytest.raises(ValidationError, match=r"PO-77 has 800\.00 EUR left of 2,000\.00"):
        register(deal, project, course_event, learners=deal["learners"][1:2], purchase_order=order)
    # The overview's purchase-order table says the same: one definition of what is used.
    from projects.selectors import purchase_orders_of

    with activate(deal["tenant"]):
        (shown,) = purchase_orders_of(project)
    assert shown.remaining == Decimal("800.00")


def test_a_project_can_require_a_purchase_order(deal, project, course_event):
    project.require_purchase_order = True
    project.save()
    with pytest.raises(ValidationError, match="requires a purchase order"):
        register(deal, project, course_event)
    assert register(deal, project, course_event, po_reference="CUST-REF-9")


def test_a_price_is_overridden_with_a_reason_until_invoiced(deal, project, course_event):
    (registration,) = register(deal, project, course_event)
    with activate(deal["tenant"]):
        with pytest.raises(ValidationError, match="Say why"):
            services.price_override(
                tenant=deal["tenant"], by=None, row=registration, unit_price="1000", reason=" "
            )
        changed = services.price_override(
            tenant=deal["tenant"],
            by=None,
            row=registration,
            unit_price="999.995",
            reason="Goodwill",
        )
        assert (changed.unit_price, changed.net_amount, changed.price_overridden) == (
            Decimal("1000.00"),
            Decimal("1000.00"),
            True,
        )
        Registration.objects.filter(pk=registration.pk).update(invoiced=True)
        with pytest.raises(ValidationError, match="on an invoice already"):
            services.price_override(
                tenant=deal["tenant"], by=None, row=registration, unit_price="1", reason="late"
            )


def test_marking_delivered_in_bulk_and_an_invoiced_registration_cannot_be_cancelled(
    deal, project, course_event
):
    rows = register(deal, project, course_event, learners=deal["learners"][:3])
    with activate(deal["tenant"]):
        change = services.registrations_set_status(
            tenant=deal["tenant"],
            by=None,
            project=project,
            ids=[r.pk for r in rows],
            status=RegistrationStatus.DELIVERED,
        )
        assert change.count == 3
        # Every place of the event is delivered now: so is the event (its cost counts).
        assert [event.pk for event in change.events_delivered] == [course_event.pk]
        course_event.refresh_from_db()
        assert course_event.status == "delivered"
        assert set(Registration.objects.values_list("status", flat=True)) == {"delivered"}
        Registration.objects.filter(pk=rows[0].pk).update(invoiced=True)
        with pytest.raises(ValidationError, match="credit it before changing it back"):
            services.registrations_set_status(
                tenant=deal["tenant"],
                by=None,
                project=project,
                ids=[rows[0].pk],
                status=RegistrationStatus.REQUESTED,
            )
        # Cancelling goes through the terms (a fee, a credit): never a bare status change.
        with pytest.raises(ValidationError, match="cancellation terms"):
            services.registrations_set_status(
                tenant=deal["tenant"],
                by=None,
                project=project,
                ids=[rows[0].pk],
                status=RegistrationStatus.CANCELLED,
            )


def test_items_are_priced_the_same_way_and_learning_paths_are_refused(deal, project):
    with activate(deal["tenant"]):
        item = services.item_add(
            tenant=deal["tenant"],
            by=None,
            project=project,
            product=deal["other_course"],
            date=DAY,
            quantity="2.5",
        )
        assert (item.unit_price, item.price_source, item.net_amount) == (
            Decimal("850.00"),
            "price_list",
            Decimal("2125.00"),
        )
        with pytest.raises(ValidationError, match="Learning paths"):
            services.item_add(
                tenant=deal["tenant"],
                by=None,
                project=project,
                date=DAY,
                quantity=1,
                product=ProductFactory(tenant=deal["tenant"], kind="learning_path"),
            )
        assert Item.objects.count() == 1


def test_an_event_of_another_project_is_refused(deal, project, course_event):
    with activate(deal["tenant"]):
        other = services.project_save(
            tenant=deal["tenant"],
            by=None,
            project=Project(
                name="Other",
                account=deal["account"],
                start_date=datetime.date(2026, 1, 1),
                end_date=datetime.date(2026, 12, 31),
            ),
        )
    with pytest.raises(ValidationError, match="Choose an event of this project"):
        register(deal, other, course_event)
