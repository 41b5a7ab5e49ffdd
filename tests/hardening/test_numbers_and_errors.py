"""Numbers fit their columns, and errors say what to change (issue item 4).

Every integer and decimal field of every form takes its bounds from its model field (one helper
in the platform); imports check their cells the same way; a database or decimal error that gets
through anyway becomes a message with a log reference, never the exception's text.
"""

import datetime
import decimal
import importlib
import io
import logging
from decimal import Decimal

import openpyxl
import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DataError, IntegrityError
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from accounts.platform.bounds import clean_number, column_bounds, parse_id
from accounts.platform.forms import BoundedFormMixin, Form
from accounts.platform.models import Tenant
from accounts.platform.money import MONEY_MAX, line_net, round_money
from accounts.platform.tenancy import activate
from agreements.models import PriceListEntry, TaxRate
from invoicing.models import InvoiceRun, RunStatus
from invoicing.services import drafts
from projects import services as project_services
from projects.models import Item, Registration, RegistrationStatus
from tests.factories import (
    AccountFactory,
    EventFactory,
    PriceListFactory,
    ProductFactory,
    ProjectFactory,
)

EXCEPTION_TEXT = ["Traceback", "DETAIL:", "InvalidOperation", "<class ", "conversion from"]
APPS = ("accounts", "agreements", "projects", "invoicing", "reporting")


def shows_no_exception_text(response) -> bool:
    body = response.content.decode()
    return not any(marker in body for marker in EXCEPTION_TEXT)


# --- One helper bounds every form --------------------------------------------------------


def all_subclasses(cls):
    for subclass in cls.__subclasses__():
        yield subclass
        yield from all_subclasses(subclass)


def test_every_form_of_the_apps_bounds_its_numbers():
    """A new form is covered as soon as it is written: it derives from the platform's Form,
    ModelForm or TenantFormMixin, which bound every number field."""
    for app in APPS:
        importlib.import_module(f"{app}.forms")
    forms_of_apps = {
        cls
        for cls in all_subclasses(forms.BaseForm)
        if cls.__module__.split(".")[0] in APPS
        # The Django admin's forms are the admin's (accounts.platform.admin).
        and not cls.__module__.endswith(("admin", "admin_site"))
    }
    assert len(forms_of_apps) > 25
    unbounded = sorted(
        f"{cls.__module__}.{cls.__name__}"
        for cls in forms_of_apps
        if not issubclass(cls, BoundedFormMixin)
    )
    assert unbounded == []


@pytest.mark.parametrize(
    ("model", "name", "low", "high", "digits", "places"),
    [
        (Registration, "places", 1, 2_147_483_647, None, None),
        (Item, "quantity", Decimal("0.01"), Decimal("99999999.99"), 10, 2),
        (PriceListEntry, "unit_price", 0, Decimal("99999999999.999"), 14, 3),
        (PriceListEntry, "training_units_price", 0, Decimal("99999999.99"), 10, 2),
        (TaxRate, "percent", 0, 100, 5, 2),
        (Tenant, "payment_terms_days", 0, 365, None, None),
    ],
)
def test_column_bounds_come_from_the_model_field(model, name, low, high, digits, places):
    bounds = column_bounds(model._meta.get_field(name))
    assert (bounds.min_value, bounds.max_value) == (low, high)
    assert (bounds.max_digits, bounds.decimal_places) == (digits, places)


def test_a_number_without_a_model_field_fits_an_integer_or_a_money_column():
    class Plain(Form):
        count = forms.IntegerField()
        amount = forms.DecimalField()
        small = forms.IntegerField(max_value=10, min_value=-5)

    form = Plain()
    assert (form.fields["count"].min_value, form.fields["count"].max_value) == (
        -2_147_483_648,
        2_147_483_647,
    )
    assert form.fields["amount"].max_digits == 14 and form.fields["amount"].decimal_places == 3
    assert (form.fields["small"].min_value, form.fields["small"].max_value) == (-5, 10)
    assert form.fields["count"].widget.attrs["max"] == 2_147_483_647
    bound = Plain({"count": "2147483648", "amount": "1e30", "small": "3"})
    assert not bound.is_valid() and set(bound.errors) == {"count", "amount"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12),
        ("2147483647", 2_147_483_647),
        (" 7 ", 7),
        ("", None),
        ("2147483648", "at most 2,147,483,647"),
        ("-1", "at least 1"),
        ("1e30", "at most"),
        ("NaN", "is not"),
        ("1.5", "whole number"),
        ("9" * 10_000, "at most"),
    ],
)
def test_an_imported_number_is_checked_against_its_column(text, expected):
    field = Registration._meta.get_field("places")
    if isinstance(expected, str):
        with pytest.raises(ValueError, match=expected):
            clean_number(text, field, what="the number of places")
    else:
        assert clean_number(text, field, what="the number of places") == expected


def test_ids_from_requests_are_parsed_without_surprises():
    assert parse_id("12") == 12 and parse_id(" 7 ") == 7
    for value in ("", None, "0", "-1", "1e30", "NaN", "²", "9" * 10_000, "9" * 20, "1\x00"):
        assert parse_id(value) is None, value


def test_money_refuses_an_amount_no_money_column_holds():
    assert round_money(Decimal("12.345"), "EUR") == Decimal("12.35")
    assert line_net(3, Decimal("10"), Decimal("10"), "EUR") == Decimal("27.00")
    with pytest.raises(ValidationError, match=r"at most 99,999,999,999\.999 EUR"):
        round_money(Decimal("1e30"), "EUR")
    with pytest.raises(ValidationError, match="largest amount"):
        round_money(MONEY_MAX + 1, "EUR")
    with pytest.raises(ValidationError, match="largest amount"):
        line_net(2_147_483_647, MONEY_MAX, 0, "EUR")
    for bad in (Decimal("NaN"), None):
        with pytest.raises(ValidationError):
            round_money(bad, "EUR")


# --- Forms: the registration form and its places ------------------------------------------


@pytest.fixture
def project(world_a):
    tenant = world_a.tenant
    project = ProjectFactory(account=AccountFactory(tenant=tenant), currency="EUR")
    course = ProductFactory(tenant=tenant, default_price=Decimal("1200"))
    event = EventFactory(project=project, product=course, start_date=datetime.date(2026, 3, 1))
    return {"world": world_a, "project": project, "event": event}


def add_places(client, project, places, **extra):
    return client.post(
        f"/alpha/projects/{project['project'].pk}/registrations/new/",
        {
            "event": project["event"].pk,
            "requested_date": "2026-02-01",
            "places": places,
            "discount": "none",
            **extra,
        },
    )


def test_more_places_than_the_column_holds_are_refused_on_the_form(project, client_for):
    response = add_places(client_for(project["world"].staff), project, "2147483648")
    assert response.status_code == 422
    assert "less than or equal to 2147483647" in response.content.decode()
    assert shows_no_exception_text(response)
    with activate(project["world"].tenant):
        assert not Registration.objects.exists()


def test_places_whose_amount_no_column_holds_are_refused_with_what_to_change(project, client_for):
    response = add_places(client_for(project["world"].staff), project, "2147483647")
    assert response.status_code == 422
    body = response.content.decode()
    assert "largest amount that can be stored" in body and "lower the" in body
    assert shows_no_exception_text(response)
    with activate(project["world"].tenant):
        assert not Registration.objects.exists()


def test_a_price_override_of_1e30_is_refused_on_the_form(project, client_for, in_tenant):
    with in_tenant(project["world"].tenant):
        registration = Registration.objects.create(
            tenant=project["world"].tenant,
            project=project["project"],
            event=project["event"],
            requested_date=datetime.date(2026, 2, 1),
            unit_price=Decimal("1200"),
            net_amount=Decimal("1200"),
        )
    url = f"/alpha/projects/{project['project'].pk}/registrations/{registration.pk}/edit/"
    client = client_for(project["world"].staff)
    for price in ("1e30", "NaN", "-1", "1e-30", "99999999999.9991"):
        response = client.post(url, {"unit_price": price, "reason": "test"})
        assert response.status_code == 422, price
        assert shows_no_exception_text(response)


# --- The error middleware: what gets through says what to change ----------------------------


@pytest.mark.parametrize(
    ("error", "status", "says"),
    [
        (
            DataError(
                "numeric field overflow\nDETAIL:  A field with precision 14, scale 3 must round "
                "to an absolute value less than 10^11."
            ),
            400,
            "a number is larger than the field takes",
        ),
        (decimal.InvalidOperation([decimal.InvalidOperation]), 400, "too many decimals"),
        (IntegrityError("duplicate key value\nDETAIL:  Key (code)=(X) exists."), 409, "reload"),
    ],
)
def test_a_database_or_decimal_error_becomes_a_message_and_goes_to_the_log(
    project, client_for, monkeypatch, caplog, error, status, says
):
    def fail(**kwargs):
        raise error

    monkeypatch.setattr(project_services, "registrations_add", fail)
    client = client_for(project["world"].staff)
    with caplog.at_level(logging.ERROR, logger="accounts.platform.errors"):
        response = add_places(client, project, "2")
    assert response.status_code == status
    body = response.content.decode()
    assert says in body and "reference" in body
    assert shows_no_exception_text(response)
    assert "numeric field overflow" not in body and "duplicate key" not in body
    (record,) = [r for r in caplog.records if r.name == "accounts.platform.errors"]
    assert record.exc_info[1] is error  # the details are in the log
    reference = record.getMessage().rsplit("reference ", 1)[1].rstrip("]")
    assert reference in body
    assert "private" in response["Cache-Control"]

    url = f"/alpha/projects/{project['project'].pk}/registrations/new/"
    data = {"event": project["event"].pk, "requested_date": "2026-02-01", "places": "2"}
    htmx = client.post(url, {**data, "discount": "none"}, headers={"HX-Request": "true"})
    assert htmx.status_code == 200 and says in htmx.content.decode()  # htmx swaps it in
    assert "<html" not in htmx.content.decode()


# --- Imports ------------------------------------------------------------------------------

EXTREME_CELLS = ["2147483648", "-1", "1e30", "NaN", "1e-30", "9" * 10_000, "12\x00"]


def post_file(client, url, name, content):
    return client.post(url, {"file": SimpleUploadedFile(name, content)})


@pytest.fixture
def price_list(world_a):
    for number in range(10):
        ProductFactory(tenant=world_a.tenant, code=f"P-{number}")
    return PriceListFactory(tenant=world_a.tenant, currency="EUR")


def xlsx(rows) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        # A workbook cannot hold control characters at all: they are left out.
        workbook.active.append(
            [ILLEGAL_CHARACTERS_RE.sub("", cell) if isinstance(cell, str) else cell for cell in row]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_a_price_list_import_with_extreme_cells_says_what_to_change(
    world_a, price_list, client_for
):
    rows = ["product_code,unit_price,training_units_price"]
    rows += [f"P-{number},{value},1" for number, value in enumerate(EXTREME_CELLS)]
    rows.append("P-\x007,10,NaN")
    rows.append("P-8,10," + "9" * 10_000)
    url = f"/alpha/price-lists/{price_list.pk}/import/"
    response = post_file(client_for(world_a.staff), url, "prices.csv", "\n".join(rows).encode())
    assert response.status_code == 422
    assert shows_no_exception_text(response)
    errors = dict(response.context["report"].errors)
    assert 2 not in errors  # 2,147,483,648.00 is a price a column holds
    assert "negative" in errors[3]
    assert "too large" in errors[4] and "at most 99,999,999,999.999" in errors[4]
    assert "not a price" in errors[5]
    assert 6 not in errors  # 1e-30 rounds to 0.000
    assert "too large" in errors[7] and len(errors[7]) < 200
    assert 8 not in errors  # the NUL byte is dropped: 12
    assert "not a price" in errors[9]  # and P-7 was found without its NUL byte
    assert "at most 99,999,999.99" in errors[10]
    with activate(world_a.tenant):
        assert not PriceListEntry.objects.exists()


def test_a_price_list_import_of_extreme_cells_one_by_one(world_a, price_list, client_for):
    url = f"/alpha/price-lists/{price_list.pk}/import/"
    client = client_for(world_a.staff)
    for value in EXTREME_CELLS:
        for name, content in (
            ("prices.csv", f"product_code,unit_price\nP-1,{value}\n".encode()),
            ("prices.csv", f"product_code,unit_price\n{value},10\n".encode()),
            ("prices.xlsx", xlsx([["product_code", "unit_price"], ["P-1", value]])),
        ):
            response = post_file(client, url, name, content)
            assert response.status_code in (200, 422), (name, value[:20])
            assert shows_no_exception_text(response), (name, value[:20])
    numeric = xlsx([["product_code", "unit_price"], ["P-1", 1e30]])
    response = post_file(client, url, "big.xlsx", numeric)
    assert "too large" in dict(response.context["report"].errors)[2]


def test_a_price_list_file_without_its_price_column_says_so(world_a, price_list, client_for):
    url = f"/alpha/price-lists/{price_list.pk}/import/"
    response = post_file(
        client_for(world_a.staff), url, "prices.csv", b"product_code,price\nPY-101,10\n"
    )
    assert response.status_code == 422
    assert shows_no_exception_text(response)
    assert "has no unit_price column" in response.content.decode()


def test_a_registration_file_without_its_event_column_says_so_once(project, client_for):
    url = f"/alpha/projects/{project['project'].pk}/registrations/import/"
    content = b"course,places\nLeadership,2\nLeadership,3\n"
    response = post_file(client_for(project["world"].staff), url, "people.csv", content)
    assert response.status_code == 422
    assert shows_no_exception_text(response)
    assert response.context["report"].errors == [
        (
            1,
            "The file has no event column: its first row must name the columns event "
            "(learner_email, first_name, last_name, places, requested_date, po_reference, notes "
            "optional).",
        )
    ]


def test_a_registration_import_with_extreme_cells_says_what_to_change(project, client_for):
    rows = ["event,places,po_reference,notes"]
    title = project["event"].title
    rows += [f"{title},{value},," for value in EXTREME_CELLS]
    rows.append(f"{title},1,{'P' * 10_000},")
    rows.append(f"{title},1,,{'n' * 10_000}")
    rows.append(f"{title},1,PO\x00-1,note\x00")
    rows.append(f"{'9' * 10_000},1,,")
    url = f"/alpha/projects/{project['project'].pk}/registrations/import/"
    response = post_file(
        client_for(project["world"].staff), url, "people.csv", "\n".join(rows).encode()
    )
    assert response.status_code == 422
    assert shows_no_exception_text(response)
    errors = dict(response.context["report"].errors)
    assert "at most 2,147,483,647" in errors[2]
    assert "at least 1" in errors[3]
    assert "at most" in errors[4] and "is not" in errors[5]
    assert "whole number" in errors[6]  # 1e-30
    assert "at most" in errors[7] and len(errors[7]) < 200
    assert 8 not in errors  # the NUL byte is dropped: 12 places
    assert "longer than 60 characters" in errors[9]
    assert "longer than 255 characters" in errors[10]
    assert 11 not in errors  # the NUL bytes are dropped: "PO-1", "note"
    assert "no event is called" in errors[12] and len(errors[12]) < 200
    with activate(project["world"].tenant):
        assert not Registration.objects.exists()


# --- A bulk run that stops shows a reference, never the exception ----------------------------


def test_a_stopped_run_shows_a_reference_and_logs_the_exception(
    project, client_for, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    tenant = project["world"].tenant
    Registration.objects.create(
        tenant=tenant,
        project=project["project"],
        event=project["event"],
        requested_date=datetime.date(2026, 2, 1),
        status=RegistrationStatus.DELIVERED,
        unit_price=Decimal("1200"),
        net_amount=Decimal("1200"),
    )

    def overflow(model, rows):
        raise DataError("numeric field overflow\nDETAIL:  precision 14, scale 3")

    monkeypatch.setattr(drafts, "insert_rows", overflow)
    client = client_for(project["world"].finance)
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        started = client.post(
            "/alpha/invoices/runs/",
            {"grouping": "project", "key": "0123456789abcdef0123456789abcdef"},
        )
    assert started.status_code == 302
    with activate(tenant):
        run = InvoiceRun.objects.get(key="0123456789abcdef0123456789abcdef")
    assert run.status == RunStatus.FAILED
    shown = " ".join(run.errors)
    assert "unexpected error" in shown and "server log (reference " in shown
    assert "overflow" not in shown and "DETAIL" not in shown
    page = client.get(f"/alpha/invoices/runs/{run.pk}/")
    assert shows_no_exception_text(page) and "reference" in page.content.decode()
    logged = [r for r in caplog.records if r.exc_info and "overflow" in str(r.exc_info[1])]
    assert logged, "the exception is in the log"
