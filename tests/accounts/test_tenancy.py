import pytest
from django.apps import apps
from django.db.models import Count

from accounts.models import Account, Contact
from accounts.platform.models import Tenant
from accounts.platform.tenancy import (
    ScopeError,
    TenantManager,
    TenantOwned,
    activate,
    current_tenant,
)
from reporting.models import FiguresVersion
from tests.factories import AccountFactory, ContactFactory

APPS = ["accounts", "agreements", "projects", "invoicing", "reporting"]
# Models that deliberately have no tenant: the tenant itself.
# FiguresVersion: the cached figures' version per tenant, written after commit from any scope;
# bookkeeping without any tenant data (reporting.freshness).
GLOBAL_MODELS = {Tenant, FiguresVersion}

UNSCOPED_READS = {
    "iterate": lambda qs: list(qs),
    "get": lambda qs: qs.get(pk=1),
    "first": lambda qs: qs.first(),
    "count": lambda qs: qs.count(),
    "exists": lambda qs: qs.exists(),
    "explain": lambda qs: qs.explain(),
    "contains": lambda qs: qs.contains(Account(pk=1)),
    "in_bulk": lambda qs: qs.in_bulk([1]),
    "aggregate": lambda qs: qs.aggregate(n=Count("pk")),
    "values_list": lambda qs: list(qs.values_list("name", flat=True)),
    "filter then exists": lambda qs: qs.filter(name="x").exists(),
    "update": lambda qs: qs.update(name="x"),
    "delete": lambda qs: qs.delete(),
    "bool": lambda qs: bool(qs),
    "as subquery": lambda qs: list(Tenant.objects.filter(pk__in=qs.values("tenant_id"))),
}


@pytest.mark.parametrize("read", UNSCOPED_READS.values(), ids=UNSCOPED_READS.keys())
def test_a_query_outside_a_tenant_scope_raises(db, read):
    AccountFactory()
    with pytest.raises(ScopeError):
        read(Account.objects.all())


def test_chaining_outside_a_scope_stays_lazy_so_forms_can_be_defined(db):
    queryset = Account.objects.filter(name__startswith="A").order_by("name")
    with pytest.raises(ScopeError):
        list(queryset)


def test_inside_a_scope_only_that_tenants_rows_are_seen(tenant_a, tenant_b):
    mine = AccountFactory(tenant=tenant_a)
    AccountFactory(tenant=tenant_b)
    ContactFactory(account=mine)
    with activate(tenant_a):
        assert list(Account.objects.all()) == [mine]
        assert Account.objects.exists()
        assert Contact.objects.count() == 1
        assert current_tenant() == tenant_a
    assert current_tenant() is None


def test_related_managers_are_scoped_too(tenant_a, tenant_b):
    account = AccountFactory(tenant=tenant_a)
    ContactFactory(account=account)
    with pytest.raises(ScopeError):
        list(account.contacts.all())
    with activate(tenant_b):
        assert list(account.contacts.all()) == []


def test_every_model_is_tenant_owned_or_explicitly_global():
    """A new model cannot slip through: it needs a tenant and the scoped manager, or a listing."""
    unclassified = []
    for label in APPS:
        for model in apps.get_app_config(label).get_models():
            if model in GLOBAL_MODELS:
                continue
            tenant_field = next((f for f in model._meta.fields if f.name == "tenant"), None)
            owned = (
                issubclass(model, TenantOwned)
                and tenant_field is not None
                and not tenant_field.null
                and tenant_field.related_model is Tenant
                and isinstance(model._default_manager, TenantManager)
            )
            if not owned:
                unclassified.append(model._meta.label)
    assert unclassified == []


def test_tenant_urls_answer_404_for_a_tenant_that_does_not_exist(world_a, client_for):
    response = client_for(world_a.admin).get("/no-such-company/accounts/")
    assert response.status_code == 404


def test_anonymous_visitors_are_sent_to_login(world_a, client):
    response = client.get("/alpha/accounts/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/alpha/accounts/")


def test_an_inactive_tenant_is_closed_to_its_members(world_a, client_for):
    Tenant.objects.filter(pk=world_a.tenant.pk).update(is_active=False)
    assert client_for(world_a.staff).get("/alpha/").status_code == 404
