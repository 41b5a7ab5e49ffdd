"""Hostile and extreme input never reaches the database unchecked, never gives a 500, and never
shows exception text (issue item 4).

Every page under the tenant URL is fetched as a tenant admin (the URL patterns are walked; a new
pattern must be added to PAGES or SKIPPED), every form on it (POST forms, and GET forms: filters,
searches, the bulk-run preview) is read from the HTML and sent again with extreme values, the rest
of the form left valid, so that a value the form lets through reaches the service and the
database: each number field with each value it might take, each hidden field on its own, and the
values no field takes to all fields of a kind at once (see `attempts`). No answer may be a 500 or
show exception text, and no GET form may carry the CSRF token (it would end up in the URL).
"""

import datetime
import html.parser
from decimal import Decimal
from urllib.parse import urlencode, urlsplit

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.platform.tabs import account_tabs
from accounts.platform.tenancy import activate
from agreements.models import BookingUplift, Interest, PrepurchaseEntry
from agreements.tabs import booking_tabs
from invoicing import services as invoicing_services
from invoicing.models import InvoiceRun, RunStatus
from projects.models import PurchaseOrder, Registration, RegistrationStatus
from projects.tabs import project_tabs
from reporting import services as reporting_services
from tests.factories import (
    AccountFactory,
    BankAccountFactory,
    BookingFactory,
    ContactFactory,
    DiscountFactory,
    DocumentFactory,
    EventFactory,
    ItemFactory,
    PrepurchaseFactory,
    PriceListEntryFactory,
    PriceListFactory,
    ProductFactory,
    ProjectDocumentFactory,
    ProjectFactory,
    RegionFactory,
    TaxRateFactory,
)
from tests.urls import _bank_line, phase_with_milestone

EXTREMES = ["2147483648", "-1", "1e30", "NaN", "1e-30", "9" * 10_000, "bad\x00value"]
EXCEPTION_TEXT = ["Traceback", "DETAIL:", "InvalidOperation", "<class ", "conversion from"]


def problem(response, what) -> str | None:
    """What is wrong with the response, if anything."""
    if response.status_code >= 500:
        return f"{what}: HTTP {response.status_code}"
    body = b"".join(response) if response.streaming else response.content
    body = body.decode(errors="replace")
    for marker in EXCEPTION_TEXT:
        if marker in body:
            return f"{what}: the page shows {marker!r}"
    return None


def assert_clean(response, what):
    found = problem(response, what)
    assert found is None, found


@pytest.fixture
def everything(world_a):
    """One row of every kind with a page, in tenant A."""
    tenant = world_a.tenant
    region = RegionFactory(tenant=tenant)
    account = AccountFactory(tenant=tenant, name="Meridian Health", region=region)
    contact = ContactFactory(account=account, is_primary=True)
    tax = TaxRateFactory(tenant=tenant, code="STD")
    course = ProductFactory(tenant=tenant, code="LEAD-101", tax_rate=tax)
    fee = ProductFactory(tenant=tenant, code="EXAM", kind="fee", tax_rate=tax)
    price_list = PriceListFactory(tenant=tenant)
    PriceListEntryFactory(price_list=price_list, product=course)
    booking = BookingFactory(account=account, price_list=price_list)
    Interest.objects.create(
        tenant=tenant, booking=booking, product=course, unit_price=Decimal("1200")
    )
    BookingUplift.objects.create(
        tenant=tenant, booking=booking, contract_year=2, percent=Decimal("3.5")
    )
    document = DocumentFactory(booking=booking)
    discount = DiscountFactory(tenant=tenant)
    prepurchase = PrepurchaseFactory(account=account, price_list=price_list, unit="training_units")
    # An expired charge, so the agreement page shows its Extend and Write off forms.
    prepurchase_charge = PrepurchaseEntry.objects.create(
        tenant=tenant,
        agreement=prepurchase,
        kind="charge",
        amount=Decimal("10"),
        delta=Decimal("10"),
        entry_date=datetime.date(2026, 1, 5),
        expires_on=datetime.date(2026, 6, 30),
    )
    project = ProjectFactory(account=account, booking=booking)
    event = EventFactory(project=project, product=course, end_date=datetime.date(2026, 3, 2))
    registrations = [
        Registration.objects.create(
            tenant=tenant,
            project=project,
            event=event,
            learner=contact if n == 0 else None,
            requested_date=datetime.date(2026, 2, 1),
            status=RegistrationStatus.DELIVERED,
            unit_price=Decimal("1000.00"),
            net_amount=Decimal("1000.00"),
        )
        for n in range(3)
    ]
    ItemFactory(project=project, product=fee)
    PurchaseOrder.objects.create(tenant=tenant, project=project, number="PO-1")
    project_document = ProjectDocumentFactory(project=project)
    phase, milestone = phase_with_milestone(project)
    with activate(tenant):
        act = {"tenant": tenant, "by": world_a.finance}
        (draft,) = invoicing_services.drafts_create(
            **act, project=project, registration_ids=[registrations[0].pk]
        )
        (issued,) = invoicing_services.drafts_create(
            **act, project=project, registration_ids=[registrations[1].pk]
        )
        issued = invoicing_services.invoice_issue(**act, invoice=issued)
        batch = reporting_services.export_batch_create(**act)
        # A payment with something left on the account: the allocate page offers it.
        payment = invoicing_services.payment_record(
            **act,
            billing_account=issued.billing_account,
            amount=issued.gross_total + Decimal("100"),
            currency=issued.currency,
            invoices=[],
        )
    run = InvoiceRun.objects.create(
        tenant=tenant, key="k", selection={}, grouping="project", status=RunStatus.FAILED
    )
    with activate(tenant):
        membership = world_a.staff.memberships.get()
    bank_account = BankAccountFactory(tenant=tenant)
    bank_line = _bank_line(tenant, bank_account, issued)

    from invoicing.models import DunningLevel

    dunning_level = DunningLevel.objects.create(
        tenant=tenant, level=1, days_after_due=14, fee_amount=Decimal("10"), fee_product=fee
    )
    from accounts.platform.models import MemberGroup
    from projects.models import ProjectClass, ProjectFunder

    # A funder of nothing (cap 0): its form is tried with extreme input; the invoices above
    # were drafted before it, so they stay the customer's.
    funder = ProjectFunder.objects.create(
        tenant=tenant, project=project, kind="customer", name="Customer", cap=Decimal(0)
    )
    return {
        "member_group": MemberGroup.objects.create(tenant=tenant, name="Consultants"),
        "project_class": ProjectClass.objects.create(tenant=tenant, name="Academy"),
        "funder": funder,
        "dunning_level": dunning_level,
        "world": world_a,
        "account": account,
        "contact": contact,
        "product": course,
        "price_list": price_list,
        "booking": booking,
        "document": document,
        "discount": discount,
        "prepurchase": prepurchase,
        "prepurchase_charge": prepurchase_charge,
        "project": project,
        "event": event,
        "phase": phase,
        "milestone": milestone,
        "registration": registrations[2],
        "project_document": project_document,
        "draft": draft,
        "issued": issued,
        "payment": payment,
        "batch": batch,
        "run": run,
        "membership": membership,
        "bank_account": bank_account,
        "bank_line": bank_line,
    }


QUERY = "?"  # a page's query string, beside its URL's keyword arguments

# URL name → the keyword arguments of its pages (a list: one page per entry).
PAGES = {
    "dashboard": lambda e: [{}],
    "accounts:account-list": lambda e: [{}],
    "accounts:account-options": lambda e: [{}],
    "accounts:contact-options": lambda e: [{}, {QUERY: "q=" + "é " * 60}],
    "accounts:account-create": lambda e: [{}],
    "accounts:account-detail": lambda e: [{"pk": e["account"].pk}],
    "accounts:account-edit": lambda e: [{"pk": e["account"].pk}],
    "accounts:account-tab": lambda e: [
        {"pk": e["account"].pk, "tab": tab.key} for tab in account_tabs.all()
    ],
    "accounts:contact-create": lambda e: [{"account_pk": e["account"].pk}],
    "accounts:contact-edit": lambda e: [{"account_pk": e["account"].pk, "pk": e["contact"].pk}],
    "accounts:region-list": lambda e: [{}],
    "accounts:search": lambda e: [{}, {QUERY: "q=" + "é" * 500}],
    "accounts:saved-view-menu": lambda e: [
        {QUERY: "list=projects:project-list&path=/alpha/projects/"},
        {QUERY: "list=" + "x" * 500 + "&path=//evil.example/"},
    ],
    "accounts:settings": lambda e: [{}],
    "accounts:members": lambda e: [{}],
    "accounts:member-groups": lambda e: [{}],
    "accounts:member-group-edit": lambda e: [{"pk": e["member_group"].pk}],
    "accounts:bank-accounts": lambda e: [{}],
    "accounts:bank-account-edit": lambda e: [{"pk": e["bank_account"].pk}],
    "agreements:product-list": lambda e: [{}],
    "agreements:product-create": lambda e: [{}],
    "agreements:product-edit": lambda e: [{"pk": e["product"].pk}],
    "agreements:catalogue-setup": lambda e: [{}],
    "agreements:pricelist-list": lambda e: [{}],
    "agreements:pricelist-create": lambda e: [{}],
    "agreements:pricelist-detail": lambda e: [{"pk": e["price_list"].pk}],
    "agreements:pricelist-edit": lambda e: [{"pk": e["price_list"].pk}],
    "agreements:pricelist-import": lambda e: [{"pk": e["price_list"].pk}],
    "agreements:booking-list": lambda e: [{}],
    "agreements:booking-create": lambda e: [{}],
    "agreements:booking-detail": lambda e: [{"pk": e["booking"].pk}],
    "agreements:booking-edit": lambda e: [{"pk": e["booking"].pk}],
    "agreements:booking-tab": lambda e: [
        {"pk": e["booking"].pk, "tab": tab.key} for tab in booking_tabs.all()
    ],
    "agreements:booking-terms": lambda e: [{"pk": e["booking"].pk}],
    "agreements:cancellation-terms": lambda e: [{}],
    "agreements:discount-list": lambda e: [{}],
    "agreements:discount-create": lambda e: [{}],
    "agreements:discount-edit": lambda e: [{"pk": e["discount"].pk}],
    "agreements:prepurchase-list": lambda e: [{}],
    "agreements:prepurchase-create": lambda e: [{}],
    "agreements:prepurchase-detail": lambda e: [{"pk": e["prepurchase"].pk}],
    "agreements:prepurchase-edit": lambda e: [{"pk": e["prepurchase"].pk}],
    "agreements:prepurchase-charge-extend": lambda e: [{"pk": e["prepurchase_charge"].pk}],
    "agreements:prepurchase-charge-write-off": lambda e: [{"pk": e["prepurchase_charge"].pk}],
    "projects:project-list": lambda e: [{}],
    "projects:calendar": lambda e: [
        {},
        {QUERY: "month=9999-99&trainer=" + "x" * 500},
        {QUERY: "view=week&week=0001-01-01"},
    ],
    "projects:project-options": lambda e: [{}],
    "projects:settings": lambda e: [{}],
    "projects:project-create": lambda e: [{}],
    "projects:classes": lambda e: [{}],
    "projects:class-edit": lambda e: [{"pk": e["project_class"].pk}],
    "projects:project-sharing": lambda e: [{"pk": e["project"].pk}],
    "projects:project-currency": lambda e: [{"pk": e["project"].pk}],
    "projects:project-detail": lambda e: [{"pk": e["project"].pk}],
    "projects:project-edit": lambda e: [{"pk": e["project"].pk}],
    "projects:project-tab": lambda e: [
        {"pk": e["project"].pk, "tab": tab.key} for tab in project_tabs.all()
    ],
    "projects:registration-import": lambda e: [{"pk": e["project"].pk}],
    "projects:event-create": lambda e: [{"project_pk": e["project"].pk}],
    "projects:event-edit": lambda e: [{"project_pk": e["project"].pk, "pk": e["event"].pk}],
    "projects:registration-add": lambda e: [{"project_pk": e["project"].pk}],
    "projects:registration-edit": lambda e: [
        {"project_pk": e["project"].pk, "pk": e["registration"].pk}
    ],
    "projects:registration-cancel": lambda e: [
        {"project_pk": e["project"].pk, QUERY: f"selected={e['registration'].pk}"}
    ],
    "projects:registration-transfer": lambda e: [
        {"project_pk": e["project"].pk, "pk": e["registration"].pk}
    ],
    "projects:item-add": lambda e: [{"project_pk": e["project"].pk}],
    "projects:purchase-order-create": lambda e: [{"project_pk": e["project"].pk}],
    "projects:phase-create": lambda e: [{"project_pk": e["project"].pk}],
    "projects:phase-edit": lambda e: [{"project_pk": e["project"].pk, "pk": e["phase"].pk}],
    "projects:milestone-create": lambda e: [
        {"project_pk": e["project"].pk, "phase_pk": e["phase"].pk}
    ],
    "projects:milestone-edit": lambda e: [
        {"project_pk": e["project"].pk, "phase_pk": e["phase"].pk, "pk": e["milestone"].pk}
    ],
    "projects:copy-lines": lambda e: [{"project_pk": e["project"].pk}],
    "projects:funder-create": lambda e: [{"project_pk": e["project"].pk}],
    "projects:funder-edit": lambda e: [{"project_pk": e["project"].pk, "pk": e["funder"].pk}],
    "invoicing:invoice-list": lambda e: [{}],
    "invoicing:invoice-detail": lambda e: [{"pk": e["draft"].pk}, {"pk": e["issued"].pk}],
    "invoicing:exchange-rates": lambda e: [{}],
    "invoicing:settings": lambda e: [{}],
    "invoicing:run-list": lambda e: [{}, {QUERY: "grouping=project"}],  # with its preview
    "invoicing:run-detail": lambda e: [{"pk": e["run"].pk}],
    "invoicing:deposit-create": lambda e: [{"project_pk": e["project"].pk}],
    "invoicing:payment-record": lambda e: [
        {"account_pk": e["issued"].billing_account_id, QUERY: f"invoice={e['issued'].pk}"}
    ],
    "invoicing:allocate": lambda e: [
        {"account_pk": e["issued"].billing_account_id, QUERY: f"payment={e['payment'].pk}"}
    ],
    "invoicing:payment-detail": lambda e: [{"pk": e["payment"].pk}],
    "invoicing:payment-reverse": lambda e: [{"pk": e["payment"].pk}],
    "invoicing:bank-review": lambda e: [{}],
    "invoicing:bank-lines": lambda e: [{}],
    "invoicing:bank-import": lambda e: [{}],
    "invoicing:bank-line": lambda e: [
        {"pk": e["bank_line"].pk},
        {"pk": e["bank_line"].pk, QUERY: "q=INV"},
    ],
    "invoicing:statement": lambda e: [{"account_pk": e["issued"].billing_account_id}],
    "invoicing:dunning-levels": lambda e: [{}],
    "invoicing:dunning-level-edit": lambda e: [{"pk": e["dunning_level"].pk}],
    "invoicing:reminder-hold": lambda e: [{"account_pk": e["issued"].billing_account_id}],
    "invoicing:invoice-from-account": lambda e: [{"account_pk": e["issued"].billing_account_id}],
    "reporting:aged": lambda e: [{}],
    "reporting:custom": lambda e: [{}],
    "reporting:profitability": lambda e: [{}],
    "reporting:exports": lambda e: [{}],
    "reporting:accounting-mapping": lambda e: [{}, {QUERY: "system=datev"}],
}
# Pages that hold no form of their own: downloads, and actions that only answer a POST.
SKIPPED = {
    "accounts:contact-delete",
    "accounts:saved-view-save",
    "accounts:saved-view-delete",
    "accounts:member-role",
    "accounts:member-remove",
    "accounts:bank-account-deactivate",
    "accounts:admin-switch",
    "agreements:pricelist-export",
    "agreements:booking-interests",
    "agreements:booking-terms-remove",
    "agreements:booking-uplifts",
    "agreements:document-upload",
    "agreements:document-download",
    "agreements:document-delete",
    "projects:project-status",
    "projects:project-copy",
    "projects:document-upload",
    "projects:registration-bulk-status",
    "projects:document-download",
    "projects:document-delete",
    "projects:funder-delete",
    "projects:phase-delete",
    "projects:milestone-delete",
    "invoicing:invoice-zip",
    "invoicing:invoice-pdf",
    "invoicing:invoice-ubl",
    "invoicing:invoice-from-selection",
    "reporting:reconciliation",
    "reporting:batch-download",
    "reporting:batch-accounting",
    "reporting:batch-file",
}


def tenant_url_names() -> set[str]:
    """Every named URL under /<tenant-slug>/."""
    names = set()

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    for pattern in get_resolver().url_patterns:
        if isinstance(pattern, URLResolver) and "tenant_slug" in str(pattern.pattern):
            walk(pattern.url_patterns, None)
    return names


def test_every_tenant_url_is_walked_or_skipped_on_purpose():
    names = tenant_url_names()
    assert names, "no tenant URL found"
    assert names - set(PAGES) - SKIPPED == set(), "add the new pages to PAGES (or SKIPPED)"
    assert set(PAGES) | SKIPPED <= names


class FormParser(html.parser.HTMLParser):
    """The forms of a page: method, action, and each control with its current value."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = {
                "method": (attrs.get("method") or "get").lower(),
                "action": attrs.get("action") or "",
                "controls": [],
            }
            self.forms.append(self._form)
        elif self._form is None or ("name" not in attrs and tag != "option"):
            return
        elif tag == "input":
            kind = (attrs.get("type") or "text").lower()
            if kind in ("submit", "button", "reset", "file", "image"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                self._form["controls"].append((attrs["name"], kind, None))
                return
            default = "on" if kind in ("checkbox", "radio") else ""
            self._form["controls"].append((attrs["name"], kind, attrs.get("value", default)))
        elif tag == "textarea":
            self._textarea = [attrs["name"], "textarea", ""]
        elif tag == "select":
            self._select = {
                "name": attrs["name"],
                "options": [],
                "selected": [],
                "required": "required" in attrs,
                "multiple": "multiple" in attrs,
            }
        elif tag == "option" and self._select is not None:
            value = attrs.get("value", "")
            self._select["options"].append(value)
            if "selected" in attrs:
                self._select["selected"].append(value)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[2] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea" and self._textarea is not None:
            if self._form is not None:
                self._form["controls"].append(tuple(self._textarea))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            # What a browser sends (the selected options, else the first one), except that a
            # required field left on "---------" gets its first real choice.
            select = self._select
            options = select["options"]
            chosen = select["selected"] or ([] if select["multiple"] else options[:1])
            if select["required"] and not any(chosen):
                chosen = [value for value in options if value][:1]
            for value in chosen or [""]:
                self._form["controls"].append((select["name"], "select", value))
            self._select = None


# Forms that end the session or remove the user's colleagues are not sent.
LEFT_ALONE = ("/logout/", "/remove/", "/settings/admin/")

FILLERS = {"date": "2026-03-01", "email": "someone@example.com", "number": "1"}


def baseline(form) -> tuple[dict, dict]:
    """The form as a browser would send it, empty text filled in so that it is otherwise valid;
    and the kind of each named control."""
    data: dict[str, list[str]] = {}
    kinds: dict[str, str] = {}
    for name, kind, value in form["controls"]:
        kinds.setdefault(name, kind)
        if value is None:
            data.setdefault(name, [])
            continue
        if value == "" and kind not in ("hidden", "select"):
            value = FILLERS.get(kind, "Filled in")
        data.setdefault(name, []).append(value)
    return {name: values for name, values in data.items() if values}, kinds


def forms_of_every_page(client, everything, leaks: list) -> dict:
    """Every form of every page, once: (method, field names) → (form, action). A GET form
    holding a CSRF token (which would end up in its URL) is added to `leaks`."""
    slug = everything["world"].tenant.slug
    found = {}
    for name, arguments in PAGES.items():
        for kwargs in arguments(everything):
            query = kwargs.pop(QUERY, "")
            url = reverse(name, kwargs={"tenant_slug": slug, **kwargs})
            response = client.get(f"{url}?{query}" if query else url)
            assert_clean(response, f"GET {url}")
            assert response.status_code == 200, f"GET {url}: {response.status_code}"
            parser = FormParser()
            parser.feed(response.content.decode())
            for form in parser.forms:
                action = urlsplit(form["action"]).path or url
                names = tuple(sorted({control[0] for control in form["controls"]}))
                if form["method"] == "get" and "csrfmiddlewaretoken" in names:
                    leaks.append(f"a GET form on {url} puts the CSRF token in its URL")
                # A form seen on several pages (a create and an edit page) is sent once.
                found.setdefault((form["method"], names), (form, action))
    return found


TEXT_KINDS = {"text", "textarea", "email", "search", "url", "tel", "password", "date"}
# Values sent to ids, choices and hidden fields (which views read as well as forms): a number
# no column holds, and a text no number column and no PostgreSQL text takes.
CHOICE_EXTREMES = ["9" * 10_000, "bad\x00value"]


# Values that no number field takes: sent to all of a form's number fields at once (each field
# still validates its own), where the others are sent field by field, the rest of the form
# valid, so that a value a field lets through reaches the service and the database.
NEVER_A_NUMBER = ["1e30", "NaN", "9" * 10_000, "bad\x00value"]


def attempts(form):
    """(what, data) to send, the rest of the form valid each time: each number field with each
    extreme value that it might take, in turn; each hidden field (views read them as they are)
    with each choice extreme in turn; then all the number fields at once with each value no
    number field takes, every choice at once with each choice extreme, and every text field at
    once with a 10,000-character text, then with a NUL byte."""
    data, kinds = baseline(form)
    groups = {"number": [], "text": [], "choice": []}
    for name, kind in kinds.items():
        if name == "csrfmiddlewaretoken":
            continue
        if kind == "number":
            groups["number"].append(name)
            for value in EXTREMES:
                if value not in NEVER_A_NUMBER:
                    yield f"{name}={value[:20]!r}", {**data, name: [value]}
        elif kind == "hidden":
            for value in CHOICE_EXTREMES:
                yield f"{name}={value[:20]!r}", {**data, name: [value]}
        else:
            groups["text" if kind in TEXT_KINDS else "choice"].append(name)
    for group, values in (
        ("number", NEVER_A_NUMBER),
        ("text", ("9" * 10_000, "bad\x00value")),
        ("choice", CHOICE_EXTREMES),
    ):
        names = groups[group]
        for value in values if names else ():
            yield f"every {group}={value[:20]!r}", {**data, **{name: [value] for name in names}}


def send(client, method, action, data):
    if method == "post":
        return client.post(action, data)
    return client.get(f"{action}?{urlencode(data, doseq=True)}")


def fuzz(client, method, action, form, problems: list) -> int:
    """Send every attempt; what went wrong is added to `problems`. The number of requests."""
    count = 0
    for attempt, data in attempts(form):
        count += 1
        what = f"{method.upper()} {action} {attempt}"
        try:
            response = send(client, method, action, data)
        except Exception as error:  # the test client re-raises what would have been a 500
            problems.append(f"{what}: {type(error).__name__}: {str(error)[:160]}")
            continue
        found = problem(response, what)
        if found:
            problems.append(found)
    return count


@pytest.mark.django_db
def test_every_form_survives_extreme_values(everything, client_for):
    """Every POST form and every GET form (filters, searches, the bulk-run preview) of every
    page, as a tenant admin."""
    client = client_for(everything["world"].admin)
    problems = []
    forms = forms_of_every_page(client, everything, problems)
    sent, requests = set(), 0
    for (method, _names), (form, action) in forms.items():
        if action.endswith(LEFT_ALONE):
            continue
        requests += fuzz(client, method, action, form, problems)
        sent.add((method, action))
    assert not problems, "\n".join(problems)
    assert requests > 300, "the forms were read from the pages and sent"
    # The forms that matter most are among them.
    slug = everything["world"].tenant.slug
    project = everything["project"].pk
    for expected in (
        f"/{slug}/projects/{project}/registrations/new/",
        f"/{slug}/projects/{project}/items/new/",
        f"/{slug}/projects/{project}/registrations/{everything['registration'].pk}/edit/",
        f"/{slug}/prepurchases/{everything['prepurchase'].pk}/",
        f"/{slug}/prepurchases/charges/{everything['prepurchase_charge'].pk}/extend/",
        f"/{slug}/price-lists/{everything['price_list'].pk}/",
        f"/{slug}/products/new/",
        f"/{slug}/settings/",
        f"/{slug}/invoices/{everything['draft'].pk}/",
        f"/{slug}/invoices/exchange-rates/",
    ):
        assert ("post", expected) in sent, expected
    for expected in (f"/{slug}/accounts/", f"/{slug}/invoices/runs/", f"/{slug}/reports/custom/"):
        assert ("get", expected) in sent, expected
    assert ("post", f"/{slug}/invoices/runs/") in sent, "the form that starts a bulk run"
