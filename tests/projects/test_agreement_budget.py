"""The budget policy covers products outside the agreement (issue 14, part 7): with a booking, a
registration or item whose product is neither agreed on it nor on its price list warns (and is
confirmed) or is refused, like a committed volume, wherever rows are added; the policy new
projects propose is a company setting."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.platform.models import AuditEntry
from accounts.platform.tenancy import activate
from projects import services
from projects.models import (
    BudgetPolicy,
    Item,
    PrivateEvent,
    Project,
    ProjectSettings,
    Registration,
)
from tests.factories import (
    PrepurchaseFactory,
    PriceListEntryFactory,
    PriceListFactory,
    ProductFactory,
)

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
            ),
        )


@pytest.fixture
def outside(deal):
    """A course neither agreed on the deal's booking nor on its price list."""
    return ProductFactory(tenant=deal["tenant"], code="COMM-100", default_price=Decimal("750"))


def event_of(deal, project, product, title="Presentation skills"):
    with activate(deal["tenant"]):
        return services.event_save(
            tenant=deal["tenant"],
            by=None,
            event=PrivateEvent(
                project=project,
                product=product,
                title=title,
                start_date=datetime.date(2026, 3, 2),
                end_date=datetime.date(2026, 3, 3),
            ),
        )


def set_policy(project, policy):
    project.budget_policy = policy
    project.save()


def register(deal, project, event, **kwargs):
    kwargs.setdefault("learners", deal["learners"][:1])
    kwargs.setdefault("requested_date", DAY)
    with activate(deal["tenant"]):
        return services.registrations_add(
            tenant=deal["tenant"], by=None, project=project, event=event, **kwargs
        )


def add_item(deal, project, product, **kwargs):
    with activate(deal["tenant"]):
        return services.item_add(
            tenant=deal["tenant"],
            by=None,
            project=project,
            product=product,
            date=DAY,
            quantity=kwargs.pop("quantity", 1),
            **kwargs,
        )


def count(deal, model):
    with activate(deal["tenant"]):
        return model.objects.count()


MESSAGE = (
    "COMM-100 is not on the agreement B-{number} {name}: add it to the agreed prices or to its "
    "price list {price_list}, or choose a product that is."
)


def expected_message(deal):
    booking = deal["booking"]
    return MESSAGE.format(
        number=booking.number, name=booking.name, price_list=deal["price_list"].name
    )


@pytest.mark.parametrize(
    ("policy", "outcome"),
    [
        (BudgetPolicy.NONE, "created"),
        (BudgetPolicy.WARNING, "confirm"),
        (BudgetPolicy.DISALLOW, "refused"),
    ],
)
def test_an_item_outside_the_agreement_follows_the_budget_policy(
    deal, project, outside, policy, outcome
):
    set_policy(project, policy)
    if outcome == "created":
        assert add_item(deal, project, outside).unit_price == Decimal("750.00")
    elif outcome == "confirm":
        with pytest.raises(services.NeedsConfirmation) as needed:
            add_item(deal, project, outside)
        assert needed.value.warnings == [expected_message(deal)]
        assert count(deal, Item) == 0
        assert add_item(deal, project, outside, confirm=True).price_source == "product_default"
    else:
        with pytest.raises(ValidationError) as refused:
            add_item(deal, project, outside, confirm=True)
        assert refused.value.messages == [
            expected_message(deal),
            "The project's budget policy refuses this.",
        ]
    assert count(deal, Item) == (0 if outcome == "refused" else 1)


@pytest.mark.parametrize(
    ("policy", "outcome"),
    [
        (BudgetPolicy.NONE, "created"),
        (BudgetPolicy.WARNING, "confirm"),
        (BudgetPolicy.DISALLOW, "refused"),
    ],
)
def test_a_registration_outside_the_agreement_follows_the_budget_policy(
    deal, project, outside, policy, outcome
):
    set_policy(project, policy)
    event = event_of(deal, project, outside)
    if outcome == "created":
        assert register(deal, project, event)
    elif outcome == "confirm":
        with pytest.raises(services.NeedsConfirmation) as needed:
            register(deal, project, event)
        assert needed.value.warnings == [expected_message(deal)]
        assert count(deal, Registration) == 0
        assert register(deal, project, event, confirm=True)
    else:
        with pytest.raises(ValidationError, match="not on the agreement") as refused:
            register(deal, project, event, confirm=True)
        assert "budget policy refuses" in str(refused.value)
    assert count(deal, Registration) == (0 if outcome == "refused" else 1)


def test_a_product_agreed_or_on_the_price_list_is_on_the_agreement(deal, project):
    set_policy(project, BudgetPolicy.DISALLOW)
    assert register(deal, project, event_of(deal, project, deal["course"]))  # an interest
    assert add_item(deal, project, deal["other_course"])  # on the booking's price list
    with activate(deal["tenant"]):
        assert services.agreement_problem(project, deal["course"]) is None
        assert services.agreement_problem(project, deal["other_course"]) is None


def test_without_a_booking_there_is_no_agreement_to_be_outside_of(deal, outside):
    with activate(deal["tenant"]):
        loose = services.project_save(
            tenant=deal["tenant"],
            by=None,
            project=Project(
                name="Ad hoc",
                account=deal["account"],
                start_date=datetime.date(2026, 1, 1),
                end_date=datetime.date(2026, 12, 31),
                budget_policy=BudgetPolicy.DISALLOW,
            ),
        )
    assert add_item(deal, loose, outside).unit_price == Decimal("750.00")


def test_the_message_says_so_when_the_booking_has_no_price_list(deal, project, outside):
    deal["booking"].price_list = None
    deal["booking"].save()
    with activate(deal["tenant"]):
        project = Project.objects.get(pk=project.pk)
        problem = services.agreement_problem(project, outside)
    assert problem.endswith("add it to the agreed prices, or choose a product that is.")


def test_a_non_billable_item_is_not_held_against_the_agreement(deal, project, outside):
    set_policy(project, BudgetPolicy.DISALLOW)
    assert add_item(deal, project, outside, billable=False)


def test_a_place_paid_from_a_prepurchase_agreement_is_covered_by_it(deal, project, outside):
    set_policy(project, BudgetPolicy.DISALLOW)
    fund_list = PriceListFactory(tenant=deal["tenant"], currency="EUR")
    PriceListEntryFactory(price_list=fund_list, product=outside, unit_price=Decimal("700"))
    fund = PrepurchaseFactory(account=deal["account"], price_list=fund_list)
    event = event_of(deal, project, outside)
    (registration,) = register(deal, project, event, prepurchase=fund)
    assert registration.price_source == "prepurchase"
    with pytest.raises(ValidationError, match="not on the agreement"):
        register(deal, project, event, learners=deal["learners"][1:2], confirm=True)


# --- Entry points: pages and the import ---------------------------------------------------------


def url(name, **kwargs):
    return reverse(name, kwargs={"tenant_slug": "alpha", **kwargs})


def test_the_item_page_shows_the_warning_and_adds_once_confirmed(
    deal, project, outside, world_a, client_for
):
    client = client_for(world_a.staff)
    data = {"product": outside.pk, "date": "2026-02-01", "quantity": "1", "billable": "on"}
    asked = client.post(url("projects:item-add", project_pk=project.pk), data)
    assert asked.status_code == 409
    assert "COMM-100 is not on the agreement" in asked.content.decode()
    assert count(deal, Item) == 0
    done = client.post(url("projects:item-add", project_pk=project.pk), {**data, "confirm": "True"})
    assert done.status_code == 302
    assert count(deal, Item) == 1


def test_the_registration_page_refuses_under_disallow(deal, project, outside, world_a, client_for):
    set_policy(project, BudgetPolicy.DISALLOW)
    event = event_of(deal, project, outside)
    response = client_for(world_a.staff).post(
        url("projects:registration-add", project_pk=project.pk),
        {
            "event": event.pk,
            "learners": [deal["learners"][0].pk],
            "places": "1",
            "requested_date": "2026-02-01",
            "discount": "auto",
            "confirm": "True",
        },
    )
    assert response.status_code == 422
    assert "COMM-100 is not on the agreement" in response.content.decode()
    assert count(deal, Registration) == 0


def csv(text):
    return SimpleUploadedFile("registrations.csv", text.encode(), content_type="text/csv")


@pytest.mark.parametrize("policy", [BudgetPolicy.WARNING, BudgetPolicy.DISALLOW])
def test_an_import_meets_the_same_rule(deal, project, outside, world_a, client_for, policy):
    set_policy(project, policy)
    event_of(deal, project, outside)
    client = client_for(world_a.staff)
    response = client.post(
        url("projects:registration-import", pk=project.pk),
        {
            "file": csv(
                "event,learner_email,requested_date\n"
                f"Presentation skills,{deal['learners'][0].email},2026-02-01\n"
            )
        },
    )
    if policy == BudgetPolicy.WARNING:
        assert response.status_code == 200
        report = response.context["report"]
        assert [text for _, text in report.warnings] == [expected_message(deal)]
        done = client.post(
            url("projects:registration-import", pk=project.pk),
            {"token": response.context["token"], "confirm_warnings": "1"},
        )
        assert done.status_code == 302
        assert count(deal, Registration) == 1
    else:
        assert response.status_code == 422
        errors = " ".join(text for _, text in response.context["report"].errors)
        assert "COMM-100 is not on the agreement" in errors and "refuses" in errors
        assert count(deal, Registration) == 0


# --- The company's default policy ---------------------------------------------------------------


def save_settings(deal, policy, by=None):
    with activate(deal["tenant"]):
        return services.project_settings_save(
            tenant=deal["tenant"],
            by=by,
            settings=ProjectSettings(default_budget_policy=policy),
        )


def test_the_company_default_policy_is_what_a_new_project_proposes(deal):
    with activate(deal["tenant"]):
        assert services.project_defaults(tenant=deal["tenant"]) == {
            "budget_policy": BudgetPolicy.WARNING
        }
    first = save_settings(deal, BudgetPolicy.DISALLOW)
    again = save_settings(deal, BudgetPolicy.NONE)  # the company's one row, changed
    assert first.pk == again.pk
    with activate(deal["tenant"]):
        assert ProjectSettings.objects.count() == 1
        proposed = services.project_defaults(tenant=deal["tenant"], booking=deal["booking"])
        assert proposed["budget_policy"] == BudgetPolicy.NONE
        entries = list(AuditEntry.objects.filter(action="project settings changed").order_by("pk"))
    assert [(e.before, e.after) for e in entries] == [
        ({}, {"default_budget_policy": "disallow"}),
        ({"default_budget_policy": "disallow"}, {"default_budget_policy": "none"}),
    ]


def test_another_companys_settings_row_is_refused(deal, tenant_b):
    foreign = ProjectSettings.objects.create(tenant=tenant_b)
    foreign.default_budget_policy = BudgetPolicy.NONE
    with activate(deal["tenant"]), pytest.raises(ValidationError, match="another company"):
        services.project_settings_save(tenant=deal["tenant"], by=None, settings=foreign)


def test_the_new_project_form_proposes_the_company_default(deal, world_a, client_for):
    save_settings(deal, BudgetPolicy.DISALLOW)
    page = client_for(world_a.staff).get(url("projects:project-create"))
    assert page.status_code == 200
    assert page.context["form"].initial["budget_policy"] == BudgetPolicy.DISALLOW
    assert '<option value="disallow" selected>' in page.content.decode()


def test_only_an_admin_sees_and_changes_the_project_settings(deal, world_a, client_for):
    for role in ("staff", "finance", "viewer"):
        client = client_for(world_a.user(role))
        assert client.get(url("projects:settings")).status_code == 403
        response = client.post(url("projects:settings"), {"default_budget_policy": "none"})
        assert response.status_code == 403
    admin = client_for(world_a.admin)
    page = admin.get(url("projects:settings"))
    assert page.status_code == 200 and "Project settings" in page.content.decode()
    saved = admin.post(url("projects:settings"), {"default_budget_policy": "disallow"})
    assert saved.status_code == 302
    with activate(deal["tenant"]):
        assert ProjectSettings.objects.get().default_budget_policy == BudgetPolicy.DISALLOW
        assert AuditEntry.objects.get(action="project settings changed").actor == world_a.admin
    refused = admin.post(url("projects:settings"), {"default_budget_policy": "sometimes"})
    assert refused.status_code == 422
    assert "Select a valid choice" in refused.content.decode()
