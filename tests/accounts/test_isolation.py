"""A user of tenant B never reaches tenant A's pages or objects: the answer is always 404."""

import pytest
from django.urls import reverse

from accounts.platform.tenancy import activate
from tests.urls import (
    POST_ONLY,
    READ_ONLY,
    object_urls,
    tenant_rows,
    tenant_url_names,
    tenant_urls,
)


@pytest.fixture
def rows_a(world_a):
    return tenant_rows(world_a)


def test_the_isolation_list_covers_every_tenant_url(rows_a):
    assert set(tenant_urls(rows_a)) == tenant_url_names()


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_tenants_user_gets_404_for_every_page(rows_a, world_b, client_for, method):
    """B's admin (the strongest role) asks for A's pages under A's slug."""
    client = client_for(world_b.admin)
    for name, kwargs in tenant_urls(rows_a).items():
        url = reverse(name, kwargs={"tenant_slug": "alpha", **kwargs})
        response = getattr(client, method)(url)
        assert response.status_code == 404, f"{method.upper()} {url}: {response.status_code}"


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_tenants_objects_are_404_under_your_own_slug(rows_a, world_b, client_for, method):
    """B's admin puts A's ids into B's URLs: the scoped queries cannot find them."""
    client = client_for(world_b.admin)
    for name, kwargs in object_urls(rows_a).items():
        url = reverse(name, kwargs={"tenant_slug": "bravo", **kwargs})
        response = getattr(client, method)(url)
        expected = 405 if method == "get" and name in POST_ONLY else 404
        if method == "post" and name in READ_ONLY:
            expected = 405
        assert response.status_code == expected, f"{method.upper()} {url}: {response.status_code}"


def test_the_own_tenants_pages_answer(rows_a, world_a, client_for):
    client = client_for(world_a.admin)
    for name, kwargs in tenant_urls(rows_a).items():
        if name in POST_ONLY:
            continue
        url = reverse(name, kwargs={"tenant_slug": "alpha", **kwargs})
        response = client.get(url)
        assert response.status_code in (200, 302), f"GET {url}: {response.status_code}"


def test_nothing_of_tenant_a_changes_after_b_posts_to_it(rows_a, world_b, client_for):
    client = client_for(world_b.admin)
    account, contact = rows_a["account"], rows_a["contact"]
    client.post(
        reverse("accounts:account-edit", kwargs={"tenant_slug": "bravo", "pk": account.pk}),
        {"name": "Hijacked", "kind": "organisation"},
    )
    client.post(
        reverse(
            "accounts:contact-delete",
            kwargs={"tenant_slug": "bravo", "account_pk": account.pk, "pk": contact.pk},
        )
    )
    with activate(rows_a["account"].tenant):
        account.refresh_from_db()
        assert account.name != "Hijacked"
        assert account.contacts.filter(pk=contact.pk).exists()
