"""Every tenant URL of the project, with a way to fill its arguments from one tenant's rows.

`tests/accounts/test_isolation.py` checks that this list covers every URL under /<tenant-slug>/,
so a new view cannot be added without its cross-tenant test. Later apps add their URLs here.
"""

import datetime

from django.urls import URLPattern, URLResolver, get_resolver


def tenant_url_names() -> set[str]:
    """Names of every URL pattern that sits below the <tenant_slug> route."""
    names = set()

    def walk(patterns, namespace, under_tenant):
        for pattern in patterns:
            route = str(pattern.pattern)
            inside = under_tenant or "<slug:tenant_slug>" in route
            if isinstance(pattern, URLResolver):
                ns = namespace
                if pattern.namespace:
                    ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                walk(pattern.url_patterns, ns, inside)
            elif isinstance(pattern, URLPattern) and inside and pattern.name:
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns, "", False)
    return names


def tenant_urls(rows) -> dict[str, dict]:
    """URL name -> kwargs (without the slug) pointing at `rows`' objects of one tenant."""
    account, contact, membership = rows["account"], rows["contact"], rows["membership"]
    return {
        "dashboard": {},
        "accounts:account-list": {},
        "accounts:account-options": {},
        "accounts:contact-options": {},
        "accounts:account-create": {},
        "accounts:account-detail": {"pk": account.pk},
        "accounts:account-edit": {"pk": account.pk},
        "accounts:account-tab": {"pk": account.pk, "tab": "contacts"},
        "accounts:contact-create": {"account_pk": account.pk},
        "accounts:contact-edit": {"account_pk": account.pk, "pk": contact.pk},
        "accounts:contact-delete": {"account_pk": account.pk, "pk": contact.pk},
        "accounts:search": {},
        "accounts:saved-view-menu": {},
        "accounts:saved-view-save": {},
        "accounts:saved-view-delete": {"pk": rows["saved_view"].pk},
        "accounts:region-list": {},
        "accounts:settings": {},
        "accounts:members": {},
        "accounts:member-role": {"pk": membership.pk},
        "accounts:member-remove": {"pk": membership.pk},
        "accounts:member-groups": {},
        "accounts:member-group-edit": {"pk": rows["member_group"].pk},
        "accounts:bank-accounts": {},
        "accounts:bank-account-edit": {"pk": rows["bank_account"].pk},
        "accounts:bank-account-deactivate": {"pk": rows["bank_account"].pk},
        "accounts:admin-switch": {},
        "agreements:product-list": {},
        "agreements:product-create": {},
        "agreements:product-edit": {"pk": rows["product"].pk},
        "agreements:catalogue-setup": {},
        "agreements:pricelist-list": {},
        "agreements:pricelist-create": {},
        "agreements:pricelist-detail": {"pk": rows["price_list"].pk},
        "agreements:pricelist-edit": {"pk": rows["price_list"].pk},
        "agreements:pricelist-import": {"pk": rows["price_list"].pk},
        "agreements:pricelist-export": {"pk": rows["price_list"].pk, "file_format": "csv"},
        "agreements:booking-list": {},
        "agreements:booking-create": {},
        "agreements:booking-detail": {"pk": rows["booking"].pk},
        "agreements:booking-edit": {"pk": rows["booking"].pk},
        "agreements:booking-tab": {"pk": rows["booking"].pk, "tab": "documents"},
        "agreements:booking-interests": {"pk": rows["booking"].pk},
        "agreements:booking-terms": {"pk": rows["booking"].pk},
        "agreements:booking-terms-remove": {"pk": rows["booking"].pk},
        "agreements:cancellation-terms": {},
        "agreements:booking-uplifts": {"pk": rows["booking"].pk},
        "agreements:document-upload": {"pk": rows["booking"].pk},
        "agreements:document-download": {"pk": rows["document"].pk},
        "agreements:document-delete": {"pk": rows["document"].pk},
        "agreements:discount-list": {},
        "agreements:discount-create": {},
        "agreements:discount-edit": {"pk": rows["discount"].pk},
        "agreements:prepurchase-list": {},
        "agreements:prepurchase-create": {},
        "agreements:prepurchase-detail": {"pk": rows["prepurchase"].pk},
        "agreements:prepurchase-edit": {"pk": rows["prepurchase"].pk},
        "agreements:prepurchase-charge-extend": {"pk": rows["prepurchase_charge"].pk},
        "agreements:prepurchase-charge-write-off": {"pk": rows["prepurchase_charge"].pk},
        "projects:project-list": {},
        "projects:calendar": {},
        "projects:project-options": {},
        "projects:settings": {},
        "projects:project-create": {},
        "projects:classes": {},
        "projects:class-edit": {"pk": rows["project_class"].pk},
        "projects:project-sharing": {"pk": rows["project"].pk},
        "projects:project-currency": {"pk": rows["project"].pk},
        "projects:project-detail": {"pk": rows["project"].pk},
        "projects:project-edit": {"pk": rows["project"].pk},
        "projects:project-status": {"pk": rows["project"].pk},
        "projects:project-copy": {"pk": rows["project"].pk},
        "projects:project-tab": {"pk": rows["project"].pk, "tab": "registrations"},
        "projects:document-upload": {"pk": rows["project"].pk},
        "projects:registration-import": {"pk": rows["project"].pk},
        "projects:event-create": {"project_pk": rows["project"].pk},
        "projects:event-edit": {"project_pk": rows["project"].pk, "pk": rows["event"].pk},
        "projects:registration-add": {"project_pk": rows["project"].pk},
        "projects:registration-bulk-status": {"project_pk": rows["project"].pk},
        "projects:registration-edit": {
            "project_pk": rows["project"].pk,
            "pk": rows["registration"].pk,
        },
        "projects:registration-cancel": {"project_pk": rows["project"].pk},
        "projects:registration-transfer": {
            "project_pk": rows["project"].pk,
            "pk": rows["registration"].pk,
        },
        "projects:item-add": {"project_pk": rows["project"].pk},
        "projects:purchase-order-create": {"project_pk": rows["project"].pk},
        "projects:phase-create": {"project_pk": rows["project"].pk},
        "projects:phase-edit": {"project_pk": rows["project"].pk, "pk": rows["phase"].pk},
        "projects:milestone-create": {
            "project_pk": rows["project"].pk,
            "phase_pk": rows["phase"].pk,
        },
        "projects:milestone-edit": {
            "project_pk": rows["project"].pk,
            "phase_pk": rows["phase"].pk,
            "pk": rows["milestone"].pk,
        },
        "projects:copy-lines": {"project_pk": rows["project"].pk},
        "projects:phase-delete": {"project_pk": rows["project"].pk, "pk": rows["phase"].pk},
        "projects:milestone-delete": {
            "project_pk": rows["project"].pk,
            "phase_pk": rows["phase"].pk,
            "pk": rows["milestone"].pk,
        },
        "projects:funder-create": {"project_pk": rows["project"].pk},
        "projects:funder-edit": {"project_pk": rows["project"].pk, "pk": rows["funder"].pk},
        "projects:funder-delete": {"project_pk": rows["project"].pk, "pk": rows["funder"].pk},
        "projects:document-download": {"pk": rows["project_document"].pk},
        "projects:document-delete": {"pk": rows["project_document"].pk},
        "invoicing:invoice-list": {},
        "invoicing:invoice-zip": {},
        "invoicing:invoice-detail": {"pk": rows["invoice"].pk},
        "invoicing:invoice-pdf": {"pk": rows["invoice"].pk},
        "invoicing:invoice-ubl": {"pk": rows["invoice"].pk},
        "invoicing:exchange-rates": {},
        "invoicing:settings": {},
        "invoicing:run-list": {},
        "invoicing:run-detail": {"pk": rows["run"].pk},
        "invoicing:invoice-from-selection": {"project_pk": rows["project"].pk},
        "invoicing:invoice-from-account": {"account_pk": account.pk},
        "invoicing:deposit-create": {"project_pk": rows["project"].pk},
        "invoicing:payment-record": {"account_pk": account.pk},
        "invoicing:allocate": {"account_pk": account.pk},
        "invoicing:payment-detail": {"pk": rows["payment"].pk},
        "invoicing:payment-reverse": {"pk": rows["payment"].pk},
        "invoicing:bank-review": {},
        "invoicing:bank-import": {},
        "invoicing:bank-lines": {},
        "invoicing:bank-line": {"pk": rows["bank_line"].pk},
        "invoicing:statement": {"account_pk": account.pk},
        "invoicing:dunning-levels": {},
        "invoicing:dunning-level-edit": {"pk": rows["dunning_level"].pk},
        "invoicing:reminder-hold": {"account_pk": account.pk},
        "reporting:aged": {},
        "reporting:exports": {},
        "reporting:profitability": {},
        "reporting:custom": {},
        "reporting:reconciliation": {},
        "reporting:batch-download": {"pk": rows["batch"].pk},
        "reporting:accounting-mapping": {},
        "reporting:batch-accounting": {"pk": rows["batch"].pk},
        "reporting:batch-file": {"pk": rows["batch"].pk, "name": "xero-invoices"},
    }


# Actions that only accept POST: a GET is 405 for any id, so it reveals nothing.
POST_ONLY = {
    "accounts:saved-view-save",
    "accounts:saved-view-delete",
    "accounts:member-role",
    "accounts:member-remove",
    "accounts:bank-account-deactivate",
    "agreements:booking-interests",
    "agreements:booking-terms-remove",
    "agreements:booking-uplifts",
    "agreements:document-upload",
    "agreements:document-delete",
    "projects:project-status",
    "projects:project-copy",
    "projects:document-upload",
    "projects:registration-bulk-status",
    "projects:document-delete",
    "projects:funder-delete",
    "projects:phase-delete",
    "projects:milestone-delete",
    "invoicing:invoice-from-selection",
}


# Pages without a write handler: a POST is 405 for any id.
READ_ONLY = {
    "dashboard",
    "accounts:search",
    "accounts:account-list",
    "accounts:account-options",
    "accounts:contact-options",
    "accounts:saved-view-menu",
    "accounts:account-detail",
    "accounts:account-tab",
    "accounts:admin-switch",
    "agreements:product-list",
    "agreements:pricelist-list",
    "agreements:pricelist-export",
    "agreements:booking-list",
    "agreements:booking-detail",
    "agreements:booking-tab",
    "agreements:document-download",
    "agreements:discount-list",
    "agreements:prepurchase-list",
    "projects:project-list",
    "projects:calendar",
    "projects:project-options",
    "projects:project-detail",
    "projects:project-tab",
    "projects:document-download",
    "invoicing:invoice-list",
    "invoicing:invoice-pdf",
    "invoicing:invoice-ubl",
    "invoicing:invoice-zip",
    "invoicing:payment-detail",
    "invoicing:bank-review",
    "invoicing:bank-lines",
    "invoicing:statement",
    "reporting:aged",
    "reporting:reconciliation",
    "reporting:batch-download",
    "reporting:batch-accounting",
    "reporting:batch-file",
    "reporting:profitability",
}


def project_urls(rows) -> dict[str, dict]:
    """The URLs that show or change one project or a row of it (its events, registrations,
    documents, invoices): a member the project is not shared with gets 404 from each
    (tests/projects/test_sharing.py). Every `projects:` URL naming an object is one, but the
    company's project classes; invoices belong to their project."""
    not_of_a_project = {"projects:class-edit"}
    return {
        name: kwargs
        for name, kwargs in object_urls(rows).items()
        if (name.startswith("projects:") and name not in not_of_a_project)
        or name
        in {
            "invoicing:invoice-detail",
            "invoicing:invoice-pdf",
            "invoicing:invoice-ubl",
            "invoicing:invoice-from-selection",
            "invoicing:deposit-create",
        }
    }


def tenant_rows(world):
    """One row of every kind the tenant URLs point at, in `world`'s tenant."""
    from accounts.platform.models import Membership
    from accounts.platform.tenancy import activate
    from agreements.models import PrepurchaseEntry
    from tests.factories import (
        AccountFactory,
        BankAccountFactory,
        BookingFactory,
        ContactFactory,
        DiscountFactory,
        DocumentFactory,
        EventFactory,
        PrepurchaseFactory,
        PriceListFactory,
        ProductFactory,
        ProjectDocumentFactory,
        ProjectFactory,
        RegistrationFactory,
    )

    tenant = world.tenant
    account = AccountFactory(tenant=tenant)
    with activate(tenant):
        membership = Membership.objects.get(user=world.staff)
    prepurchase = PrepurchaseFactory(account=account, unit="training_units")
    prepurchase_charge = PrepurchaseEntry.objects.create(
        tenant=tenant,
        agreement=prepurchase,
        kind="charge",
        amount=10,
        delta=10,
        entry_date=datetime.date(2026, 1, 5),
        expires_on=datetime.date(2026, 6, 30),
    )
    booking = BookingFactory(account=account)
    project = ProjectFactory(account=account, booking=booking)
    event = EventFactory(project=project)
    phase, milestone = phase_with_milestone(project)
    from invoicing.models import Invoice, InvoiceRun

    invoice = Invoice.objects.create(
        tenant=tenant,
        project=project,
        billing_account=account,
        currency="EUR",
        status="issued",
        number="INV-00001",
        sequence_number=1,
        issue_date=datetime.date(2026, 1, 1),
    )
    run = InvoiceRun.objects.create(tenant=tenant, key=f"run-{tenant.pk}")
    from decimal import Decimal

    from invoicing.models import Payment

    payment = Payment.objects.create(
        tenant=tenant,
        billing_account=account,
        date=datetime.date(2026, 1, 20),
        amount=Decimal("100"),
        currency="EUR",
        exchange_rate=Decimal(1),
    )
    bank_account = BankAccountFactory(tenant=tenant)
    bank_line = _bank_line(tenant, bank_account, invoice)
    from django.core.files.base import ContentFile

    from reporting.models import ExportBatch

    batch = ExportBatch(tenant=tenant, number=1)
    batch.file.save(f"{tenant.pk}/batch.csv", ContentFile(b"invoice_number\n"), save=True)
    from invoicing.models import DunningLevel

    dunning_level = DunningLevel.objects.create(tenant=tenant, level=1, days_after_due=14)
    from accounts.platform.models import MemberGroup
    from projects.models import ProjectClass, ProjectFunder

    # A funder that takes nothing (its cap is 0), so the rows' invoices stay the customer's.
    funder = ProjectFunder.objects.create(
        tenant=tenant, project=project, kind="customer", name="Customer", cap=Decimal(0)
    )
    from accounts.platform.models import SavedView

    saved_view = SavedView.objects.create(
        tenant=tenant, user=world.staff, list_key="projects:project-list", name="Mine"
    )
    return {
        "member_group": MemberGroup.objects.create(tenant=tenant, name=f"Team {tenant.pk}"),
        "project_class": ProjectClass.objects.create(tenant=tenant, name=f"Class {tenant.pk}"),
        "funder": funder,
        "saved_view": saved_view,
        "batch": batch,
        "dunning_level": dunning_level,
        "invoice": invoice,
        "payment": payment,
        "run": run,
        "project": project,
        "event": event,
        "phase": phase,
        "milestone": milestone,
        "registration": RegistrationFactory(event=event),
        "project_document": ProjectDocumentFactory(project=project),
        "account": account,
        "contact": ContactFactory(account=account, is_primary=True),
        "membership": membership,
        "product": ProductFactory(tenant=tenant),
        "price_list": PriceListFactory(tenant=tenant),
        "booking": booking,
        "document": DocumentFactory(booking=booking),
        "discount": DiscountFactory(tenant=tenant),
        "prepurchase": prepurchase,
        "prepurchase_charge": prepurchase_charge,
        "bank_account": bank_account,
        "bank_line": bank_line,
    }


# URLs whose kwargs name one of the tenant's objects (the rest are tenant-wide pages).
def object_urls(rows) -> dict[str, dict]:
    return {name: kwargs for name, kwargs in tenant_urls(rows).items() if kwargs}


def _bank_line(tenant, bank_account, invoice):
    """A credit line of an imported statement, proposed to pay `invoice` (issue 16, part 4)."""
    from decimal import Decimal

    from invoicing.models import BankLineMatch, BankStatement, BankStatementLine

    statement = BankStatement.objects.create(
        tenant=tenant, bank_account=bank_account, file_format="camt053", file_name="s.xml"
    )
    line = BankStatementLine.objects.create(
        tenant=tenant,
        statement=statement,
        bank_account=bank_account,
        key=f"ref:{tenant.pk}",
        booking_date=datetime.date(2026, 1, 25),
        direction="credit",
        amount=Decimal("100"),
        currency="EUR",
        reference=invoice.number,
        status="matched",
    )
    BankLineMatch.objects.create(tenant=tenant, line=line, invoice=invoice, amount=Decimal("100"))
    return line


def phase_with_milestone(project):
    """A phase of the project with one milestone (written directly: no scope needed)."""
    from projects.models import Milestone, Phase
    from tests.factories import ProductFactory

    phase = Phase.objects.create(
        tenant=project.tenant,
        project=project,
        name="Design",
        start_date=project.start_date,
        end_date=project.end_date,
        budget=1000,
    )
    milestone = Milestone.objects.create(
        tenant=project.tenant,
        phase=phase,
        number=1,
        name="Sign-off",
        percent=40,
        due_date=project.end_date,
        product=ProductFactory(tenant=project.tenant),
    )
    return phase, milestone
