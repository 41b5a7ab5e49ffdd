"""The events calendar (issue 17): a month or a week of the company's private events with their
places and status, filters, double bookings flagged on the calendar and warned on saving."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.platform.tenancy import activate
from projects.models import Registration
from tests.factories import AccountFactory, EventFactory, ProjectFactory
from tests.projects.test_project_pages import url


@pytest.fixture
def month(world_a, world_b):
    customer = AccountFactory(tenant=world_a.tenant, name="Meridian Health")
    project = ProjectFactory(account=customer, name="Leadership")
    first = EventFactory(
        project=project,
        title="Coaching cohort",
        start_date=datetime.date(2026, 3, 2),
        end_date=datetime.date(2026, 3, 3),
        trainer="Ruth Okafor",
        venue="Room 1",
        capacity=12,
    )
    Registration.objects.create(
        tenant=world_a.tenant,
        project=project,
        event=first,
        places=5,
        requested_date=datetime.date(2026, 2, 1),
        unit_price=100,
        net_amount=500,
    )
    other = ProjectFactory(account=AccountFactory(tenant=world_a.tenant, name="Kestrel"))
    EventFactory(
        project=other,
        title="Excel for analysts",
        start_date=datetime.date(2026, 3, 3),
        end_date=datetime.date(2026, 3, 3),
        trainer="ruth okafor",
        venue="Room 9",
    )
    foreign = ProjectFactory(account=AccountFactory(tenant=world_b.tenant))
    EventFactory(
        project=foreign,
        title="Their secret course",
        start_date=datetime.date(2026, 3, 3),
        end_date=datetime.date(2026, 3, 3),
    )
    return {"first": first, "project": project}


def day_cell(body: str, day: str) -> str:
    start = body.index(f'data-day="{day}"')
    return body[start : body.index("</td>", start)]


def test_a_month_shows_each_event_on_its_days_with_places_and_status(world_a, month, client_for):
    body = client_for(world_a.viewer).get(url("projects:calendar"), {"month": "2026-03"})
    text = body.content.decode()
    assert "March 2026" in text
    for day in ("2026-03-02", "2026-03-03"):  # a two-day course on both days
        assert "Coaching cohort" in day_cell(text, day)
    assert "5/12 places" in day_cell(text, "2026-03-02")
    assert "Coaching cohort" not in day_cell(text, "2026-03-04")
    assert "Their secret course" not in text  # another company's


def test_a_shared_trainer_on_the_same_day_is_flagged(world_a, month, client_for):
    text = client_for(world_a.staff).get(url("projects:calendar"), {"month": "2026-03"}).content
    cell = day_cell(text.decode(), "2026-03-03")
    assert cell.count("Double-booked: trainer") == 2
    # The two-day course is flagged as a course, on both its days; Excel only on the 3rd.
    assert day_cell(text.decode(), "2026-03-02").count("Double-booked") == 1


def test_filters_and_the_week_view(world_a, month, client_for):
    client = client_for(world_a.staff)
    by_customer = client.get(url("projects:calendar"), {"month": "2026-03", "customer": "kestrel"})
    text = by_customer.content.decode()
    assert "Excel for analysts" in text and "Coaching cohort" not in text
    week = client.get(url("projects:calendar"), {"view": "week", "week": "2026-03-04"})
    text = week.content.decode()
    assert "Week of 2 Mar 2026" in text and "Coaching cohort" in text
    assert 'data-day="2026-03-09"' not in text


def test_the_calendar_runs_a_constant_number_of_queries(world_a, month, client_for):
    client = client_for(world_a.staff)
    with CaptureQueriesContext(connection) as few:
        client.get(url("projects:calendar"), {"month": "2026-03"})
    for day in range(5, 25):
        EventFactory(
            project=month["project"],
            start_date=datetime.date(2026, 3, day),
            end_date=datetime.date(2026, 3, day),
        )
    with CaptureQueriesContext(connection) as many:
        client.get(url("projects:calendar"), {"month": "2026-03"})
    assert len(many) == len(few)


def test_saving_a_double_booked_event_warns(world_a, month, client_for):
    project = month["project"]
    response = client_for(world_a.staff).post(
        url("projects:event-create", project_pk=project.pk),
        {
            "product": month["first"].product_id,
            "title": "Second cohort",
            "start_date": "2026-03-03",
            "end_date": "2026-03-03",
            "venue": "room 1",
            "trainer": "Mei Chen",
            "status": "planned",
            "trainer_fee": "0",
            "venue_cost": "0",
            "other_cost": "0",
        },
        follow=True,
    )
    text = response.content.decode()
    assert "Double-booked: room 1 is also the venue of Coaching cohort" in text
    with activate(world_a.tenant):
        assert project.events.count() == 2


def test_a_full_day_shows_three_events_and_links_the_rest_to_its_week(world_a, month, client_for):
    """A large company's month held 700 events: a day's square shows the first three, then how
    many more, linked to the week, which shows twelve a day (issue 18)."""
    for number in range(14):
        EventFactory(
            project=month["project"],
            title=f"Workshop {number:02}",
            start_date=datetime.date(2026, 3, 18),
            end_date=datetime.date(2026, 3, 18),
        )
    client = client_for(world_a.staff)
    body = client.get(url("projects:calendar"), {"month": "2026-03"}).content.decode()
    cell = day_cell(body, "2026-03-18")
    assert cell.count("data-event=") == 3
    assert 'data-more="11"' in cell and "+ 11 more (this week)" in cell
    assert "view=week&amp;week=2026-03-18" in cell
    week = client.get(url("projects:calendar"), {"view": "week", "week": "2026-03-18"})
    cell = day_cell(week.content.decode(), "2026-03-18")
    assert cell.count("data-event=") == 12
    assert 'data-more="2"' in cell and "narrow with the filters" in cell
    # The two-day event of the 2nd and 3rd is on both days, with its places and status.
    cell = day_cell(body, "2026-03-03")
    assert cell.count(f'data-event="{month["first"].pk}"') == 1
    assert "5/12 places" in cell


@pytest.mark.parametrize(("extra", "notice"), [(0, False), (1, True)])
def test_the_calendar_says_when_it_shows_only_its_first_events(
    world_a, month, client_for, monkeypatch, extra, notice
):
    """Past the limit (2,000; 2 here) the page shows the first events and says so; exactly the
    limit is every event, without the notice."""
    monkeypatch.setattr("projects.selectors.CALENDAR_LIMIT", 2)
    monkeypatch.setattr("projects.views.calendar.CALENDAR_LIMIT", 2)
    for number in range(extra):
        EventFactory(
            project=month["project"],
            start_date=datetime.date(2026, 3, 20 + number),
            end_date=datetime.date(2026, 3, 20 + number),
        )
    client = client_for(world_a.staff)
    body = client.get(url("projects:calendar"), {"month": "2026-03"}).content.decode()
    assert ("narrow with the filters to see the others" in body) is notice
    assert body.count("data-event=") == 3  # the two-day course on both its days, and one more
