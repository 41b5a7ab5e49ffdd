"""Issue 17: finishing a project and deleting its documents ask once, saying what happens."""

import datetime
import re
from decimal import Decimal

from accounts.platform.tenancy import activate
from projects.models import Project, ProjectDocument, Registration, RegistrationStatus
from tests.factories import (
    AccountFactory,
    EventFactory,
    ProjectDocumentFactory,
    ProjectFactory,
)


def _text(response) -> str:
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#x27;", "'")


def test_finishing_a_project_says_what_is_still_to_invoice(world_a, client_for):
    project = ProjectFactory(account=AccountFactory(tenant=world_a.tenant), currency="EUR")
    event = EventFactory(project=project, end_date=datetime.date(2026, 3, 2))
    for _ in range(2):
        Registration.objects.create(
            tenant=world_a.tenant,
            project=project,
            event=event,
            status=RegistrationStatus.DELIVERED,
            requested_date=datetime.date(2026, 2, 1),
            unit_price=Decimal("450"),
            net_amount=Decimal("450"),
        )
    client = client_for(world_a.staff)
    url = f"/alpha/projects/{project.pk}/status/"
    question = client.post(url, {"status": "finished"})
    assert (
        f"Mark {project.code} {project.name} finished: it takes no new registrations or items "
        "and bulk invoicing leaves it out. 2 registrations can still be invoiced "
        "(net €900.00): only by hand from now on."
    ) in _text(question)
    with activate(world_a.tenant):
        assert Project.objects.get(pk=project.pk).status == "active"
    client.post(url, {"status": "finished", "confirmed": "1"})
    with activate(world_a.tenant):
        assert Project.objects.get(pk=project.pk).status == "finished"
    # Reopening undoes it: it does not ask.
    client.post(url, {"status": "active"})
    with activate(world_a.tenant):
        assert Project.objects.get(pk=project.pk).status == "active"


def test_deleting_a_project_document_asks_once(world_a, client_for):
    document = ProjectDocumentFactory(
        project=ProjectFactory(account=AccountFactory(tenant=world_a.tenant))
    )
    client = client_for(world_a.staff)
    url = f"/alpha/project-documents/{document.pk}/delete/"
    question = client.post(url)
    assert "Delete plan.pdf (13 bytes, uploaded" in _text(question)
    assert "A deleted document cannot be restored" in _text(question)
    with activate(world_a.tenant):
        assert ProjectDocument.objects.filter(pk=document.pk).exists()
    client.post(url, {"confirmed": "1"})
    with activate(world_a.tenant):
        assert not ProjectDocument.objects.filter(pk=document.pk).exists()
