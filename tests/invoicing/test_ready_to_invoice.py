"""One invoicing selection across a project's registrations and items (issue 17): the project's
invoices tab lists what can be invoiced now, both kinds, and one submit drafts them together."""

from invoicing.models import Invoice


def test_the_invoices_tab_lists_both_kinds_and_drafts_them_together(billing, client_for):
    project = billing["project"]
    client = client_for(billing["world"].finance)
    body = client.get(f"/alpha/projects/{project.pk}/invoices/").content.decode()
    assert "Ready to invoice" in body
    assert body.count('name="selected"') == len(billing["registrations"])
    assert body.count('name="selected_items"') == 1
    response = client.post(
        f"/alpha/invoices/from-project/{project.pk}/",
        {
            "selected": [billing["registrations"][0].pk],
            "selected_items": [billing["item"].pk],
            "grouping": "all",
            "create": "1",
        },
    )
    assert response.status_code == 302
    (draft,) = Invoice.objects.filter(project=project)
    assert sorted(draft.lines.values_list("kind", flat=True)) == ["item", "registration"]
    body = client.get(f"/alpha/projects/{project.pk}/invoices/").content.decode()
    assert body.count('name="selected"') == len(billing["registrations"]) - 1  # on the draft


def test_a_project_that_cannot_be_invoiced_says_why(billing, client_for):
    project = billing["project"]
    project.do_not_invoice = True
    project.save()
    body = client_for(billing["world"].finance).get(f"/alpha/projects/{project.pk}/invoices/")
    assert "Nothing can be invoiced now: the project is marked" in body.content.decode()
