"""Learners typed or pasted on the registration form (issue 17): parsed line by line, matched to
the customer's contacts by e-mail (any case) or created on the customer's account, once each;
refused lines say which and why, and nothing is added when the registering is refused."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Contact
from accounts.platform.tenancy import activate
from projects import services
from projects.models import BudgetPolicy, Project, Registration
from projects.services.learners import NewLearner, parse_learners
from tests.factories import ContactFactory, EventFactory
from tests.projects.test_project_pages import url


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
                budget_policy=BudgetPolicy.NONE,
            ),
        )


def test_the_ways_people_type_and_paste_learners():
    text = "\n".join(
        [
            "First name\tLast name\tE-mail",  # a spreadsheet's header row
            "Ada\tLovelace\tADA@Example.com",
            "Alan Turing <alan@example.com>",
            "Grace Hopper, grace@example.com",
            "Mary Jane Watson; mj@example.com",
            "",
            "known@example.com",
            "Edsger Dijkstra",
        ]
    )
    assert parse_learners(text) == [
        NewLearner("Ada", "Lovelace", "ada@example.com", 2),
        NewLearner("Alan", "Turing", "alan@example.com", 3),
        NewLearner("Grace", "Hopper", "grace@example.com", 4),
        NewLearner("Mary", "Jane Watson", "mj@example.com", 5),
        NewLearner("", "", "known@example.com", 7),
        NewLearner("Edsger", "Dijkstra", "", 8),
    ]


def test_bad_lines_are_refused_with_their_number_and_what_to_change():
    with pytest.raises(ValidationError) as refused:
        parse_learners("Ada Lovelace, ada@example.com\nPlato\nBob, bob@@x, b@y.com")
    messages = refused.value.messages
    assert messages[0].startswith("Line 2 (“Plato”): give a first and a last name")
    assert messages[1].startswith("Line 3") and "two e-mail addresses" in messages[1]


def test_pasted_learners_become_contacts_once_and_are_registered(deal, project):
    tenant = deal["tenant"]
    known = ContactFactory(account=deal["account"], email="Known@Meridian.example")
    event = EventFactory(project=project, product=deal["course"])
    pasted = parse_learners(
        "Ada Lovelace, ada@meridian.example\n"
        "known@meridian.example\n"
        "ADA LOVELACE <ADA@meridian.example>\n"  # the same person again
    )
    with activate(tenant):
        before = Contact.objects.count()
        created = services.registrations_add(
            tenant=tenant, by=None, project=project, event=event, learners=[], new_learners=pasted
        )
        assert Contact.objects.count() == before + 1
        ada = Contact.objects.get(email="ada@meridian.example")
        assert ada.account == deal["account"]
        assert {r.learner for r in created} == {ada, known}
        assert Registration.objects.count() == 2


def test_nothing_is_added_when_the_registering_is_refused_or_not_confirmed(deal, project):
    tenant = deal["tenant"]
    event = EventFactory(project=project, product=deal["course"], capacity=1)
    pasted = parse_learners(
        "Ada Lovelace, ada@meridian.example\nAlan Turing, alan@meridian.example"
    )
    with activate(tenant):
        before = Contact.objects.count()
        with pytest.raises(services.NeedsConfirmation, match="is full"):
            services.registrations_add(
                tenant=tenant,
                by=None,
                project=project,
                event=event,
                learners=[],
                new_learners=pasted,
            )
        assert Contact.objects.count() == before
        assert not Registration.objects.count()


def test_the_registration_page_takes_pasted_learners(world_a, deal, project, client_for):
    event = EventFactory(project=project, product=deal["course"])
    response = client_for(world_a.staff).post(
        url("projects:registration-add", project_pk=project.pk),
        {
            "event": event.pk,
            "requested_date": "2026-02-01",
            "places": 1,
            "discount": "auto",
            "new_learners": (
                "Ada\tLovelace\tada@meridian.example\nAlan\tTuring\talan@meridian.example"
            ),
        },
    )
    assert response.status_code == 302
    with activate(deal["tenant"]):
        assert sorted(Registration.objects.values_list("learner__last_name", flat=True)) == [
            "Lovelace",
            "Turing",
        ]
    refused = client_for(world_a.staff).post(
        url("projects:registration-add", project_pk=project.pk),
        {
            "event": event.pk,
            "requested_date": "2026-02-01",
            "places": 1,
            "discount": "auto",
            "new_learners": "Plato",
        },
    )
    assert refused.status_code == 422
    assert "Line 1 (“Plato”): give a first and a last name" in refused.content.decode()
