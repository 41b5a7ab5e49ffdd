"""The navigation bar is rendered once per company, role, section and language and then reused
(`{% remembered %}`, issue 18): whoever comes next must still get their own."""

import re

import pytest
from django.template import Context, Template

from accounts.models import Tenant
from accounts.templatetags import fragments


@pytest.fixture(autouse=True)
def fresh_memory():
    fragments.forget_all()
    yield
    fragments.forget_all()


def nav(response) -> str:
    html = response.content.decode()
    return html[html.index("<nav") : html.index("</nav>")]


def without_tokens(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def active_links(html: str) -> list[str]:
    return re.findall(r'class="nav-link (?:dropdown-toggle )?active"\s+href="([^"]+)"', html)


def test_each_role_keeps_its_own_menu(world_a, client_for):
    finance = nav(client_for(world_a.finance).get("/alpha/projects/"))
    viewer = nav(client_for(world_a.viewer).get("/alpha/projects/"))
    admin = nav(client_for(world_a.admin).get("/alpha/projects/"))
    finance_again = nav(client_for(world_a.finance).get("/alpha/projects/"))
    assert "/alpha/exports/" in finance and "/alpha/settings/" not in finance
    assert "/alpha/exports/" not in viewer and "/alpha/settings/" not in viewer
    assert "/alpha/settings/" in admin
    assert without_tokens(finance_again) == without_tokens(finance)


def test_the_active_section_follows_the_page(world_a, client_for):
    client = client_for(world_a.staff)
    assert active_links(nav(client.get("/alpha/projects/"))) == ["/alpha/projects/"]
    assert active_links(nav(client.get("/alpha/accounts/"))) == ["/alpha/accounts/"]
    assert active_links(nav(client.get("/alpha/"))) == ["/alpha/"]


def test_each_company_and_language_gets_its_own_links(world_a, world_b, client_for):
    alpha = nav(client_for(world_a.staff).get("/alpha/accounts/"))
    bravo = nav(client_for(world_b.staff).get("/bravo/accounts/"))
    assert "/alpha/projects/" in alpha and "/bravo/" not in alpha
    assert "/bravo/projects/" in bravo and "/alpha/" not in bravo
    Tenant.objects.filter(pk=world_a.tenant.pk).update(language="de")
    german = nav(client_for(world_a.staff).get("/alpha/accounts/"))
    assert "Kunden" in german and ">Accounts<" not in german.replace("\n", "").replace(" ", "")


def test_the_user_part_is_never_remembered(world_a, client_for):
    """The user's name, the other companies and the log-out form's CSRF token stay per request."""
    world_a.staff.first_name, world_a.finance.first_name = "Sam", "Fran"
    world_a.staff.save()
    world_a.finance.save()
    first = nav(client_for(world_a.staff).get("/alpha/projects/"))
    second = nav(client_for(world_a.finance).get("/alpha/projects/"))
    assert "Sam" in first and "Sam" not in second and "Fran" in second
    token = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
    assert token.search(first).group(1) != token.search(second).group(1)


def test_a_fragment_is_rendered_once_per_key_and_bounded(monkeypatch):
    template = Template("{% load fragments %}{% remembered key %}{{ value }}{% endremembered %}")
    assert template.render(Context({"key": 1, "value": "a"})) == "a"
    assert template.render(Context({"key": 1, "value": "b"})) == "a"  # remembered
    assert template.render(Context({"key": 2, "value": "b"})) == "b"
    monkeypatch.setattr(fragments, "LIMIT", 2)
    template.render(Context({"key": 3, "value": "c"}))
    assert len(fragments._fragments) == 2
    assert template.render(Context({"key": 1, "value": "z"})) == "z"  # the oldest went first


def test_the_menu_follows_the_roles_permissions_not_its_name(world_a, client_for, monkeypatch):
    from accounts.platform import permissions
    from accounts.platform.models import Role
    from accounts.platform.permissions import ROLE_PERMISSIONS

    assert ">Profitability</a>" in nav(client_for(world_a.viewer).get("/alpha/accounts/"))
    monkeypatch.setitem(ROLE_PERMISSIONS, Role.VIEWER, frozenset({permissions.VIEW}))
    assert ">Profitability</a>" not in nav(client_for(world_a.viewer).get("/alpha/accounts/"))
