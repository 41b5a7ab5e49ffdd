"""The Django admin is an entry point like any page: it deletes and saves through the services
(DESIGN.md, "Every entry point ... goes through the same service"; PITFALLS.md, "Django admin
delete bypasses services", "raw_id_fields on a user foreign key").

Every model registered in the admin is walked, so a new one is covered without a new test: give
it a row builder in `ROWS` and, if its admin names a delete service, add it to `DELETED_BY_SERVICE`.
"""

import datetime
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.files.storage import default_storage
from django.db import transaction
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.platform.admin import TenantInline
from accounts.platform.audit import audit
from accounts.platform.documents import StoredDocument
from accounts.platform.models import AuditEntry, MemberGroup, Membership, Role, Sequence
from accounts.platform.sequences import next_number
from accounts.platform.tenancy import activate, scopes_disabled
from agreements import services as agreement_services
from agreements.models import BookingUplift, Interest, PrepurchaseEntry
from invoicing import services as invoicing_services
from invoicing.models import BillingClaim, ExchangeRate, Invoice, InvoiceRun, InvoicingSettings
from projects.models import (
    FunderScope,
    ProjectClass,
    ProjectFunder,
    ProjectProduct,
    ProjectSettings,
    PurchaseOrder,
    Registration,
    RegistrationStatus,
)
from tests.factories import (
    AccountFactory,
    BankAccountFactory,
    BookingFactory,
    ContactFactory,
    DiscountFactory,
    DocumentFactory,
    EventFactory,
    ItemFactory,
    PackageFactory,
    PrepurchaseFactory,
    PriceListEntryFactory,
    PriceListFactory,
    ProductFactory,
    ProjectDocumentFactory,
    ProjectFactory,
    RegionFactory,
    RegistrationFactory,
    TaxRateFactory,
    UserFactory,
)

# What a tenant admin may delete in the admin, each through its service (which writes the audit
# entry and removes the file); every other model refuses.
DELETED_BY_SERVICE = {
    "accounts.membership": lambda row: row.role != Role.ADMIN,
    "accounts.contact": lambda row: True,
    "agreements.bookingdocument": lambda row: True,
    "projects.projectdocument": lambda row: True,
    # Removed with its milestones (its events left in no phase) unless one is on an invoice.
    "projects.phase": lambda row: row.name == "Design",
    "invoicing.invoice": lambda row: row.is_draft,
}


@pytest.fixture
def admin_a(world_a, client_for):
    """Tenant A's admin, after opening the admin from A's settings page."""
    client = client_for(world_a.admin)
    assert client.get("/alpha/settings/admin/").status_code == 302
    return client


@pytest.fixture
def rows(world_a, world_b, tenant_a):
    """One row (or more) of tenant A for every model the admin shows, keyed by model label."""
    tenant, by = tenant_a, world_a.admin
    made = {}
    with activate(tenant), transaction.atomic():
        account = AccountFactory(tenant=tenant)
        contact = ContactFactory(account=account, is_primary=True)
        ContactFactory(account=account)
        rate = TaxRateFactory(tenant=tenant, code="STD")
        product = ProductFactory(tenant=tenant, tax_rate=rate)
        price_list = PriceListFactory(tenant=tenant)
        PriceListEntryFactory(price_list=price_list, product=product)
        booking = BookingFactory(account=account, price_list=price_list)
        Interest.objects.create(
            tenant=tenant, booking=booking, product=product, unit_price=Decimal("900")
        )
        BookingUplift.objects.create(
            tenant=tenant, booking=booking, contract_year=2, percent=Decimal("3.5")
        )
        agreement = PrepurchaseFactory(account=account, price_list=price_list)
        agreement_services.prepurchase_charge(tenant=tenant, by=by, agreement=agreement, amount=5)
        project = ProjectFactory(account=account)
        event = EventFactory(project=project, product=product)
        open_registration = RegistrationFactory(event=event)
        delivered = [
            RegistrationFactory(event=event, status=RegistrationStatus.DELIVERED) for _ in range(2)
        ]
        (issued,) = invoicing_services.drafts_create(
            tenant=tenant, by=by, project=project, registration_ids=[delivered[0].pk]
        )
        issued = invoicing_services.invoice_issue(
            tenant=tenant, by=by, invoice=issued, render_pdf=False
        )
        (draft,) = invoicing_services.drafts_create(
            tenant=tenant, by=by, project=project, registration_ids=[delivered[1].pk]
        )
        payment = invoicing_services.payment_record(
            tenant=tenant,
            by=by,
            billing_account=issued.billing_account,
            amount=issued.gross_total,
            currency=issued.currency,
            invoices=[issued],
        )
        next_number(tenant=tenant, key="test", start=1)
        audit(tenant=tenant, actor=by, action="test", obj=account)
        made.update(
            {
                "accounts.membership": [Membership.objects.get(user=world_a.viewer)],
                "accounts.region": [RegionFactory(tenant=tenant)],
                "accounts.account": [account],
                "accounts.contact": [contact],
                "accounts.bankaccount": [BankAccountFactory(tenant=tenant)],
                "accounts.sequence": [Sequence.objects.get(key="test")],
                "accounts.auditentry": [AuditEntry.objects.first()],
                "agreements.taxrate": [rate],
                "agreements.trainingpackage": [PackageFactory(tenant=tenant)],
                "agreements.product": [product],
                "agreements.pricelist": [price_list],
                "agreements.booking": [booking],
                "agreements.bookingdocument": [DocumentFactory(booking=booking)],
                "agreements.discountagreement": [DiscountFactory(tenant=tenant)],
                "agreements.prepurchaseagreement": [agreement],
                "agreements.prepurchaseentry": [PrepurchaseEntry.objects.first()],
                "projects.project": [project],
                "projects.privateevent": [event],
                "projects.registration": [open_registration],
                "projects.item": [ItemFactory(project=project, product=product)],
                "projects.projectdocument": [ProjectDocumentFactory(project=project)],
                "projects.projectfunder": [_funder(tenant, project, account, product)],
                "projects.phase": [
                    _phase_with_milestone(tenant, by, project, product),
                    _phase_with_milestone(tenant, by, project, product, invoiced=True),
                ],
                "projects.purchaseorder": [
                    PurchaseOrder.objects.create(tenant=tenant, project=project, number="PO-1")
                ],
                "invoicing.invoice": [issued, draft],
                "invoicing.invoicerun": [
                    InvoiceRun.objects.create(tenant=tenant, key="run-1", created_by=by)
                ],
                "invoicing.billingclaim": [BillingClaim.objects.first()],
                "invoicing.payment": [payment],
                "invoicing.exchangerate": [
                    ExchangeRate.objects.create(
                        tenant=tenant,
                        currency="USD",
                        date=datetime.date(2026, 1, 1),
                        rate=Decimal("0.9"),
                    )
                ],
                "invoicing.invoicingsettings": [InvoicingSettings.objects.create(tenant=tenant)],
                "projects.projectsettings": [ProjectSettings.objects.create(tenant=tenant)],
                # Groups and classes are never deleted in the admin (projects name them).
                "accounts.membergroup": [MemberGroup.objects.create(tenant=tenant, name="Team")],
                "projects.projectclass": [
                    ProjectClass.objects.create(tenant=tenant, name="Academy")
                ],
            }
        )
    # Rows of no tenant: platform superusers only.
    made.update(
        {
            "accounts.tenant": [world_b.tenant],
            "auth.user": [world_b.viewer],
            "auth.group": [Group.objects.create(name="Some group")],
            "axes.accessattempt": [_axes("AccessAttempt", world_b.viewer.email)],
            "axes.accesslog": [_axes("AccessLog", world_b.viewer.email)],
            "axes.accessfailurelog": [_axes("AccessFailureLog", world_b.viewer.email)],
            "django_tasks_database.dbtaskresult": [_task_result(world_b.viewer.email)],
        }
    )
    return made


def _funder(tenant, project, account, product):
    funder = ProjectFunder.objects.create(
        tenant=tenant, project=project, name="Skills Fund", account=account, percent=40
    )
    FunderScope.objects.create(tenant=tenant, funder=funder, product=product)
    return funder


def _phase_with_milestone(tenant, by, project, product, invoiced=False):
    """A phase with an event and a milestone (billed by an item), all through the services;
    `invoiced`: the milestone's item is on a draft."""
    from projects import services as project_services
    from projects.models import Milestone, Phase

    phase = project_services.phase_save(
        tenant=tenant,
        by=by,
        phase=Phase(
            project=project,
            name="Delivery" if invoiced else "Design",
            start_date=project.start_date,
            end_date=project.end_date,
        ),
    )
    EventFactory(project=project, product=product, phase=phase)
    milestone = Milestone(phase=phase, name="Sign-off", amount=100, product=product)
    milestone.due_date = project.start_date  # due already, so it can be invoiced
    project_services.milestone_save(tenant=tenant, by=by, milestone=milestone)
    if invoiced:
        invoicing_services.drafts_create(
            tenant=tenant, by=by, project=project, item_ids=[milestone.item.pk]
        )
    return phase


def _axes(name, username):
    from axes import models

    fields = {"user_agent": "test", "ip_address": "10.0.0.1", "username": username}
    fields.update(http_accept="*/*", path_info="/accounts/login/")
    if name == "AccessAttempt":
        fields.update(get_data="", post_data="", failures_since_start=3)
    return getattr(models, name).objects.create(**fields)


def _task_result(email):
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    return DBTaskResult.objects.create(
        enqueued_at=now,
        args_kwargs={"args": [], "kwargs": {"email": email}},
        task_path="accounts.tasks.send_member_invitation",
        backend_name="default",
        run_after=now,
        exception_class_path="",
        traceback="",
    )


REGISTERED = sorted(model._meta.label_lower for model in admin.site._registry)


def _url(model, page, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}", args=args)


def _model(label):
    return next(m for m in admin.site._registry if m._meta.label_lower == label)


def _exists(row) -> bool:
    with scopes_disabled():
        return type(row)._base_manager.filter(pk=row.pk).exists()


def _audited(label, pk) -> bool:
    with scopes_disabled():
        return AuditEntry.objects.filter(object_type=label, object_id=pk).exists()


def _deleted_through_the_service(label, row, file_name):
    """Gone only with an audit entry (and, for a document, without its file)."""
    if _exists(row):
        return False
    assert _audited(label, row.pk), f"{label} {row.pk} deleted without an audit entry"
    if file_name:
        assert not default_storage.exists(file_name), f"{label}: the file stayed in storage"
    return True


def _rows_for(rows, label):
    assert label in rows, f"Give {label} a row builder in tests/test_admin_safety.py (`rows`)"
    return rows[label]


def _expected(label, row) -> bool:
    return label in DELETED_BY_SERVICE and DELETED_BY_SERVICE[label](row)


def _file_of(row):
    return row.file.name if isinstance(row, StoredDocument) else ""


@pytest.mark.parametrize("label", REGISTERED)
def test_a_delete_page_deletes_through_the_service_or_refuses(
    label, rows, admin_a, django_capture_on_commit_callbacks
):
    model = _model(label)
    for row in _rows_for(rows, label):
        url = _url(model, "delete", row.pk)
        file_name = _file_of(row)
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_a.post(url, {"post": "yes"})
        assert response.status_code in (302, 403), response.status_code
        deleted = _deleted_through_the_service(label, row, file_name)
        assert deleted == _expected(label, row), f"{label} {row}: deleted={deleted}"


@pytest.mark.parametrize("label", REGISTERED)
def test_delete_selected_deletes_through_the_service_or_refuses(
    label, rows, admin_a, django_capture_on_commit_callbacks
):
    model = _model(label)
    changelist = _url(model, "changelist")
    for row in _rows_for(rows, label):
        file_name = _file_of(row)
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_a.post(
                changelist,
                {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"},
            )
        assert response.status_code in (200, 302, 403), response.status_code
        deleted = _deleted_through_the_service(label, row, file_name)
        assert deleted == _expected(label, row), f"{label} {row}: deleted={deleted}"


def test_the_rows_the_services_guard_are_never_deleted_in_the_admin(rows, admin_a):
    """Registrations, items, issued invoices, ledger rows, audit entries and claims."""
    for label in (
        "projects.registration",
        "projects.item",
        "invoicing.billingclaim",
        "agreements.prepurchaseentry",
        "accounts.auditentry",
    ):
        (row,) = rows[label]
        model = _model(label)
        url = _url(model, "delete", row.pk)
        assert admin_a.get(url).status_code == 403, label
        assert _exists(row)
    issued = rows["invoicing.invoice"][0]
    assert not issued.is_draft
    assert admin_a.post(reverse("admin:invoicing_invoice_delete", args=[issued.pk])).status_code
    assert _exists(issued)


def test_a_deleted_document_is_audited_and_its_file_removed(
    rows, admin_a, django_capture_on_commit_callbacks
):
    (document,) = rows["projects.projectdocument"]
    name = document.file.name
    assert default_storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_a.post(
            reverse("admin:projects_projectdocument_delete", args=[document.pk]), {"post": "yes"}
        )
    assert response.status_code == 302
    assert not _exists(document) and not default_storage.exists(name)
    with activate(document.tenant):
        entry = AuditEntry.objects.get(object_type="projects.projectdocument")
    assert entry.object_id == document.pk and entry.actor_id is not None


def test_a_draft_deleted_in_the_admin_releases_its_rows(rows, admin_a, tenant_a):
    draft = rows["invoicing.invoice"][1]
    with activate(tenant_a):
        claims = BillingClaim.objects.filter(line__invoice=draft).count()
    assert claims
    confirm = admin_a.get(reverse("admin:invoicing_invoice_delete", args=[draft.pk]))
    assert confirm.status_code == 200 and not confirm.context["perms_lacking"]
    response = admin_a.post(reverse("admin:invoicing_invoice_delete", args=[draft.pk]), {"post": 1})
    assert response.status_code == 302
    with activate(tenant_a):
        assert not Invoice.objects.filter(pk=draft.pk).exists()
        assert not BillingClaim.objects.filter(line__invoice_id=draft.pk).exists()
        assert AuditEntry.objects.filter(action="draft deleted", object_id=draft.pk).exists()


def test_a_superuser_deletes_through_the_same_services_in_the_rows_tenant(
    rows, client_for, django_capture_on_commit_callbacks
):
    root = client_for(UserFactory(is_superuser=True, is_staff=True))
    (document,) = rows["projects.projectdocument"]
    name = document.file.name
    with django_capture_on_commit_callbacks(execute=True):
        response = root.post(
            reverse("admin:projects_projectdocument_delete", args=[document.pk]), {"post": "yes"}
        )
    assert response.status_code == 302
    assert _deleted_through_the_service("projects.projectdocument", document, name)
    for label in ("projects.registration", "invoicing.billingclaim", "accounts.tenant"):
        (row,) = rows[label]
        assert root.post(_url(_model(label), "delete", row.pk), {"post": "yes"}).status_code == 403
        assert _exists(row)


def test_a_refusal_of_the_service_is_shown_and_nothing_is_deleted(world_a, admin_a):
    """The last admin cannot remove itself: the service's reason is shown, no "deleted"."""
    with activate(world_a.tenant):
        mine = Membership.objects.get(user=world_a.admin)
    response = admin_a.post(
        reverse("admin:accounts_membership_changelist"),
        {"action": "delete_selected", "_selected_action": [mine.pk], "post": "yes"},
        follow=True,
    )
    texts = [str(message) for message in response.context["messages"]]
    assert any("last admin" in text for text in texts), texts
    assert not any("Successfully deleted" in text or "Deleted" in text for text in texts)
    response = admin_a.post(
        reverse("admin:accounts_membership_delete", args=[mine.pk]), {"post": "yes"}, follow=True
    )
    texts = [str(message) for message in response.context["messages"]]
    assert any("last admin" in text for text in texts), texts
    assert not any("deleted successfully" in text for text in texts), texts
    assert _exists(mine)


def test_an_inline_row_is_deleted_only_through_a_service(rows, admin_a, tenant_a):
    """A price-list entry has no delete service: its inline offers no delete, and a forged
    DELETE flag deletes nothing."""
    (price_list,) = rows["agreements.pricelist"]
    with activate(tenant_a):
        entry = price_list.entries.get()
    page = admin_a.get(reverse("admin:agreements_pricelist_change", args=[price_list.pk]))
    assert not page.context["inline_admin_formsets"][0].formset.can_delete
    data = {
        "name": price_list.name,
        "currency": price_list.currency,
        "valid_from": "2025-01-01",
        "entries-TOTAL_FORMS": "1",
        "entries-INITIAL_FORMS": "1",
        "entries-0-id": entry.pk,
        "entries-0-price_list": price_list.pk,
        "entries-0-product": entry.product_id,
        "entries-0-unit_price": "900.00",
        "entries-0-DELETE": "on",
    }
    admin_a.post(reverse("admin:agreements_pricelist_change", args=[price_list.pk]), data)
    assert _exists(entry)


def test_a_contact_deleted_inline_goes_through_the_service(rows, admin_a, tenant_a):
    (account,) = rows["accounts.account"]
    with activate(tenant_a):
        first, second = account.contacts.order_by("pk")
    data = {
        "name": account.name,
        "kind": account.kind,
        "einvoice_format": account.einvoice_format,
        "is_active": "on",
        "contacts-TOTAL_FORMS": "2",
        "contacts-INITIAL_FORMS": "2",
    }
    for index, contact in enumerate((first, second)):
        data.update(
            {
                f"contacts-{index}-id": contact.pk,
                f"contacts-{index}-account": account.pk,
                f"contacts-{index}-first_name": contact.first_name,
                f"contacts-{index}-last_name": contact.last_name,
            }
        )
    data["contacts-0-is_primary"] = "on"
    data["contacts-1-DELETE"] = "on"
    response = admin_a.post(reverse("admin:accounts_account_change", args=[account.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert not _exists(second) and _audited("accounts.contact", second.pk)


def _admin_request(user, tenant):
    request = RequestFactory().get("/admin/")
    request.user = user
    request.tenant = tenant
    request.membership = Membership.objects.get(user=user, tenant=tenant)
    return request


def test_every_inline_deletes_and_saves_through_services_or_not_at_all(world_a):
    """Inline formsets save and delete rows too: a tenant-aware inline that may add, change or
    delete names the service that does it; any other inline is read-only."""
    with activate(world_a.tenant):
        request = _admin_request(world_a.admin, world_a.tenant)
        for model_admin in admin.site._registry.values():
            for inline in model_admin.get_inline_instances(request):
                name = f"{type(model_admin).__name__}.{type(inline).__name__}"
                if isinstance(inline, TenantInline):
                    if inline.has_delete_permission(request):
                        assert inline.delete_service is not None, name
                    if inline.has_add_permission(request, None) or inline.has_change_permission(
                        request
                    ):
                        assert inline.service is not None, name
                else:
                    assert not inline.has_delete_permission(request), name
                    assert not inline.has_add_permission(request, None), name
                    assert not inline.has_change_permission(request), name


# --- Other companies' users -----------------------------------------------------------------


def _pages(rows):
    """Every changelist, add page and change page of the admin."""
    for model in admin.site._registry:
        yield _url(model, "changelist")
        yield _url(model, "add")
        for row in rows.get(model._meta.label_lower, []):
            yield _url(model, "change", row.pk)


def test_no_other_companys_user_appears_in_any_admin_page(rows, admin_a, world_a, world_b):
    outsider = UserFactory(username="lonely@elsewhere.example")
    foreign = {world_b.user(role).email for role in ("admin", "staff", "finance", "viewer")}
    foreign.add(outsider.email)
    seen = 0
    for url in _pages(rows):
        response = admin_a.get(url)
        if response.status_code != 200:
            continue
        seen += 1
        page = response.content.decode()
        leaked = [email for email in foreign if email in page]
        assert not leaked, f"{url} shows {leaked}"
    assert seen > 40


def test_a_user_field_offers_only_the_tenants_members(rows, admin_a, world_a, world_b):
    form = admin_a.get(reverse("admin:projects_project_add")).context["adminform"].form
    with activate(world_a.tenant):  # the choices are read as the page read them
        managers = set(form.fields["manager"].queryset)
    assert world_a.staff in managers and world_b.staff not in managers
    (project,) = rows["projects.project"]
    page = admin_a.get(reverse("admin:projects_project_change", args=[project.pk]))
    data = {
        key: value
        for key, value in page.context["adminform"].form.initial.items()
        if value is not None and not isinstance(value, list)
    }
    data.update(manager=world_b.staff.pk)
    for formset in page.context["inline_admin_formsets"]:
        prefix = formset.formset.prefix
        data[f"{prefix}-TOTAL_FORMS"] = "0"
        data[f"{prefix}-INITIAL_FORMS"] = "0"
    response = admin_a.post(reverse("admin:projects_project_change", args=[project.pk]), data)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    with activate(world_a.tenant):
        project.refresh_from_db()
    assert project.manager_id != world_b.staff.pk


def test_a_tenant_admin_cannot_attach_another_companys_user(admin_a, world_a, world_b):
    with activate(world_a.tenant):
        count = Membership.objects.count()
        viewer = Membership.objects.get(user=world_a.viewer)
    add = reverse("admin:accounts_membership_add")
    response = admin_a.post(add, {"user": world_b.finance.pk, "role": Role.ADMIN})
    assert response.status_code in (200, 403)
    change = reverse("admin:accounts_membership_change", args=[viewer.pk])
    admin_a.post(change, {"user": world_b.finance.pk, "role": Role.VIEWER})
    with activate(world_a.tenant):
        assert Membership.objects.count() == count
        assert not Membership.objects.filter(user=world_b.finance).exists()
        assert Membership.objects.get(pk=viewer.pk).user == world_a.viewer
    page = admin_a.get(add).content.decode()
    assert 'name="user"' not in page and world_b.finance.email not in page


def _change_data(page):
    """The change form's current values, as the browser would post them back."""
    form = page.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None or value is False:
            continue
        data[name] = "on" if value is True else value
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        data[f"{formset.prefix}-TOTAL_FORMS"] = str(len(formset.initial_forms))
        data[f"{formset.prefix}-INITIAL_FORMS"] = str(len(formset.initial_forms))
        for index, inline_form in enumerate(formset.initial_forms):
            for name in inline_form.fields:
                value = inline_form.initial.get(name)
                if value is not None:
                    data[f"{formset.prefix}-{index}-{name}"] = value
            data[f"{formset.prefix}-{index}-id"] = inline_form.instance.pk
    return data


def test_project_inlines_save_through_the_services(rows, admin_a, tenant_a):
    """Products are set through `project_save`, purchase orders through their service."""
    (project,) = rows["projects.project"]
    (product,) = rows["agreements.product"]
    other = ProductFactory(tenant=tenant_a)
    url = reverse("admin:projects_project_change", args=[project.pk])
    with activate(tenant_a):
        ProjectProduct.objects.create(tenant=tenant_a, project=project, product=product)
    data = _change_data(admin_a.get(url))
    data.update(
        {
            "products-0-DELETE": "on",
            "products-TOTAL_FORMS": "2",
            "products-1-product": other.pk,
            "purchase_orders-TOTAL_FORMS": "2",
            "purchase_orders-1-number": "PO-2",
            "purchase_orders-1-value_cap": "100.00",
        }
    )
    response = admin_a.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    with activate(tenant_a):
        assert set(project.products.values_list("product_id", flat=True)) == {other.pk}
        order = PurchaseOrder.objects.get(number="PO-2")
        assert order.tenant == tenant_a and order.project == project
    page = admin_a.get(url)
    (orders,) = [
        f for f in page.context["inline_admin_formsets"] if f.formset.model is PurchaseOrder
    ]
    assert not orders.formset.can_delete  # no service deletes a purchase order


def test_a_funder_and_its_scopes_save_through_the_service(rows, admin_a, tenant_a):
    """The funder's form keeps its scopes; the scopes inline sets them through `funder_save`."""
    (funder,) = rows["projects.projectfunder"]
    (product,) = rows["agreements.product"]
    other = ProductFactory(tenant=tenant_a)
    url = reverse("admin:projects_projectfunder_change", args=[funder.pk])
    data = _change_data(admin_a.get(url))
    data["percent"] = "30"
    response = admin_a.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    with activate(tenant_a):
        funder.refresh_from_db()
        assert funder.percent == Decimal("30")
        assert list(funder.scopes.values_list("product_id", flat=True)) == [product.pk]
        assert AuditEntry.objects.filter(action="funder changed").count() == 1
    data = _change_data(admin_a.get(url))
    data.update({"scopes-0-DELETE": "on", "scopes-TOTAL_FORMS": "2", "scopes-1-product": other.pk})
    response = admin_a.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    with activate(tenant_a):
        assert list(funder.scopes.values_list("product_id", flat=True)) == [other.pk]


def test_every_admin_form_bounds_its_numbers(world_a, rf):
    """The admin's forms are bounded like every app form: each integer and decimal field has a
    maximum its column can hold, so 2147483648 is a form error, never a database error."""
    from django import forms
    from django.contrib import admin

    request = rf.get("/admin/")
    request.user, request.tenant = world_a.admin, world_a.tenant
    unbounded = []
    with activate(world_a.tenant):
        for model, model_admin in admin.site._registry.items():
            if not getattr(model_admin, "tenant_aware", False):
                continue
            form = model_admin.get_form(request)()
            unbounded += [
                f"{model._meta.label}.{name}"
                for name, field in form.fields.items()
                if isinstance(field, forms.IntegerField) and field.max_value is None
            ]
    assert unbounded == []


def test_an_admin_form_refuses_a_number_its_column_cannot_hold(admin_a, world_a):
    """The admin's forms are bounded like every app form: 2147483648 places or a price of
    1e30 is a form error, never a database error."""
    with activate(world_a.tenant):
        project = ProjectFactory(account=AccountFactory(tenant=world_a.tenant))
    response = admin_a.post(
        f"/admin/projects/project/{project.pk}/change/",
        {"name": project.name, "max_billing_amount": "1e30", "handling_fee_percent": "2147483648"},
    )
    assert response.status_code == 200  # the form again, with its errors
    body = response.content.decode()
    assert "Ensure" in body or "at most" in body or "less than or equal" in body
    assert "DETAIL" not in body and "InvalidOperation" not in body


def test_a_save_the_service_refuses_comes_back_with_its_message(rows, admin_a, tenant_a):
    """The project has priced registrations, so `project_save` refuses a new currency: the
    admin answers with the service's message on the same page, never an error page."""
    (project,) = rows["projects.project"]
    url = reverse("admin:projects_project_change", args=[project.pk])
    with activate(tenant_a):
        assert Registration.objects.filter(project=project).exists()
        currency = project.currency
    data = _change_data(admin_a.get(url))
    data["currency"] = "USD" if currency != "USD" else "EUR"
    response = admin_a.post(url, data, follow=True)
    assert response.status_code == 200
    assert "cannot change" in response.content.decode()
    with activate(tenant_a):
        project.refresh_from_db()
        assert project.currency == currency
