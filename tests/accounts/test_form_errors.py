"""Issue 17: an error such as "end before start" shows once, on the field it is about."""

import re

from accounts.platform.constraints import constraint_field
from agreements.models import PriceListEntry, Product
from projects.models import Project
from tests.factories import AccountFactory, ProductFactory, ProjectFactory

MESSAGE = "The end date cannot be before the start date."


def _form_data(page) -> dict:
    """What the page's form would post as shown (its initial values)."""
    form, data = page.context["form"], {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None:
            continue
        if isinstance(value, list | tuple):
            data[name] = [getattr(v, "pk", v) for v in value]
        else:
            data[name] = getattr(value, "pk", value)
    return data


def test_end_before_start_shows_once_on_the_end_date(world_a, client_for):
    project = ProjectFactory(account=AccountFactory(tenant=world_a.tenant))
    client = client_for(world_a.staff)
    url = f"/alpha/projects/{project.pk}/edit/"
    data = _form_data(client.get(url)) | {"start_date": "2026-05-10", "end_date": "2026-05-01"}
    response = client.post(url, data)
    html = response.content.decode()
    assert response.status_code == 422
    assert html.count(MESSAGE) == 1, "once, not at the top and again in the form"
    assert response.context["form"].errors == {"end_date": [MESSAGE]}
    end_input = re.search(r'<input[^>]*name="end_date"[^>]*>', html).group(0)
    assert "is-invalid" in end_input, "the field itself is marked"


def test_a_duplicate_code_is_said_on_the_code_field(world_a, client_for):
    ProductFactory(tenant=world_a.tenant, code="LEAD-1")
    client = client_for(world_a.admin)
    data = _form_data(client.get("/alpha/products/new/")) | {
        "code": "LEAD-1",
        "name": "Leadership again",
        "kind": "course",
        "default_price": "100",
    }
    response = client.post("/alpha/products/new/", data)
    assert response.status_code == 422
    assert response.context["form"].errors["code"] == ["A product with this code exists."]
    assert response.content.decode().count("A product with this code exists.") == 1


def test_constraints_name_their_field_where_they_have_one():
    def named(model, name):
        return next(c for c in model._meta.constraints if c.name == name)

    assert constraint_field(Project, named(Project, "project_end_after_start")) == "end_date"
    assert constraint_field(Product, named(Product, "product_unique_code")) == "code"
    # Two fields besides the tenant: the whole form's error, as before.
    entry = named(PriceListEntry, "entry_unique_product")
    assert constraint_field(PriceListEntry, entry) is None
