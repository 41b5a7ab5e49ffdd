"""The reconciliation file and export batches on the exporter base: a batch's stored file never
changes, PostgreSQL's COPY and the one writer give the same bytes, and the file is the same on
SQLite and PostgreSQL."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from accounts.platform.exporting import CopyExporter, copy_csv, iter_csv, money, text
from accounts.platform.tenancy import activate
from invoicing import services
from invoicing.models import Grouping, Invoice, InvoiceLine
from reporting.exports import ReconciliationExporter
from reporting.models import ExportBatch

ISSUED, DUE = datetime.date(2026, 3, 31), datetime.date(2026, 4, 30)


def issued_books(act, billing):
    """Two invoices (one per purchase order, the exam fee on a third without one) and a credit
    note of one line, with names that fight back, issued on fixed dates."""
    tenant, account, project = billing["tenant"], billing["account"], billing["project"]
    account.name = '=HYPERLINK("x"), \u202eevil "quoted"\nline'
    account.number = 7001
    account.save()
    project.code, project.tags = "PR-GOLD", "-urgent, @x"
    project.save()
    for n, registration in enumerate(billing["registrations"]):
        registration.learner.first_name, registration.learner.last_name = f"Ada{n}", "Byron"
        registration.learner.save()
    drafts = act(
        services.drafts_create,
        project=project,
        registration_ids=[r.pk for r in billing["registrations"]],
        item_ids=[billing["item"].pk],
        grouping=Grouping.PURCHASE_ORDER,
    )
    invoices = [act(services.invoice_issue, invoice=draft) for draft in drafts]
    first = next(invoice for invoice in invoices if invoice.po_reference == "PO-A")
    act(
        services.invoice_credit,
        invoice=first,
        line_ids=[first.lines.order_by("position", "pk").first().pk],
        reason="-No-show",
    )
    with activate(tenant):
        Invoice.objects.exclude(status="draft").update(issue_date=ISSUED, due_date=DUE)


# The account's name as every spreadsheet-safe export writes it: an apostrophe before "=", the
# right-to-left override replaced with U+FFFD, quotes doubled, the line break kept inside quotes.
NAME = '"\'=HYPERLINK(""x""), \ufffdevil ""quoted""\nline"'


def line(number, kind, purchase_order, rest):
    return (
        f"{number},{kind},2026-03-31,2026-04-30,issued,7001,{NAME},{NAME},PR-GOLD,"
        f'{purchase_order},{rest},EUR,"\'-urgent, @x",""\n'
    )


COURSE = (
    'registration,LEAD-101,"{}First-time manager: Cohort {}, 0{} Mar 2026. Ada{} Byron (ref. {})"'
)
PLACE = "1.00,{}1000.000,10.00,{}900.000,STD,S,20.00,{}180.000,{}1080.000"

# The bytes of the batch, pinned: what PostgreSQL's COPY wrote before the exporter base (and now
# writes on every database): amounts with 3 decimals, quantities and rates with 2, an empty text
# as "", "\n" line ends. Accounting imports are set up against this file: it must not drift.
GOLDEN_BATCH = (
    "invoice_number,kind,issue_date,due_date,status,account_number,account_name,billing_account,"
    "project_code,purchase_order,line_kind,product_code,description,quantity,unit_price,"
    # customer_tags (issue 13, part 6) came last, so the columns before it never moved.
    "discount_percent,net,tax_code,tax_category,tax_rate,tax,gross,currency,tags,customer_tags\n"
    + line(
        "CN-00001",
        "credit_note",
        "PO-A",
        COURSE.format("Credit: ", 1, 1, 0, "PO-A") + "," + PLACE.format("-", "-", "-", "-"),
    )
    + line(
        "INV-00001",
        "invoice",
        '""',
        "item,EXAM,Exam fee,2.00,95.000,0.00,190.000,EXM,E,0.00,0.000,190.000",
    )
    + "".join(
        line(
            number,
            "invoice",
            order,
            COURSE.format("", cohort, cohort, learner, order) + "," + PLACE.format("", "", "", ""),
        )
        for number, order, cohort, learner in [
            ("INV-00002", "PO-A", 1, 0),
            ("INV-00002", "PO-A", 2, 1),
            ("INV-00003", "PO-B", 1, 2),
            ("INV-00003", "PO-B", 2, 3),
        ]
    )
)


def test_a_batch_file_is_pinned_byte_for_byte_and_downloads_as_stored(act, billing, client_for):
    issued_books(act, billing)
    tenant, client = billing["tenant"], client_for(billing["world"].finance)
    client.post("/alpha/exports/")
    with activate(tenant):
        batch = ExportBatch.objects.get()
        with batch.file.open("rb") as stored:
            content = stored.read()
        entries = list(batch.entries.values_list("invoice", flat=True))
        # The file is what the exporter writes for the batch's invoices, through the base.
        assert ReconciliationExporter(tenant=tenant, invoices=entries).csv() == content
    assert content == GOLDEN_BATCH.encode()
    url = f"/alpha/exports/batches/{batch.pk}/"
    assert b"".join(client.get(url).streaming_content) == content
    # Later changes to the rows (paid, renamed, re-dated) never reach a past batch's file.
    billing["account"].name = "Renamed Ltd"
    billing["account"].save()
    with activate(tenant):
        Invoice.objects.update(status="paid", issue_date=datetime.date(2026, 5, 1))
    assert b"".join(client.get(url).streaming_content) == content


def on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip(
            "COPY needs PostgreSQL: run with DATABASE_URL=postgres://... (make test-postgres)"
        )


def test_copy_and_the_one_writer_give_the_same_bytes_on_postgresql(act, billing):
    """The fast path (PostgreSQL writes the CSV) and the slow path (the writer, from the same
    exporter's rows) cannot drift: same header, same cells, same quoting."""
    on_postgresql()
    issued_books(act, billing)
    tenant = billing["tenant"]
    with activate(tenant):
        lines = list(InvoiceLine.objects.order_by("pk").values_list("pk", flat=True))
        hostile = [
            {"description": '\tTab, "q"\r\nline', "product_code": ""},
            {"description": "@SUM(A1)\u202e", "tax_amount": None},
            {"description": "+1", "unit_price": Decimal("-0.005"), "net": Decimal("0")},
            {"description": "\u2066-\u2069", "net": Decimal("12345678901.234")},
            {"description": "\r", "product_code": "=A1"},
        ]
        for pk, changes in zip(lines, hostile, strict=False):
            InvoiceLine.objects.filter(pk=pk).update(**changes)
        Invoice.objects.filter(kind="credit_note").update(po_reference="", tags="")
        for invoices in (None, Invoice.objects.filter(po_reference="PO-A"), []):
            exporter = ReconciliationExporter(tenant=tenant, invoices=invoices)
            fast = b"".join(copy_csv(exporter))
            slow = b"".join(iter_csv(exporter.columns, exporter.rows(), exporter.dialect))
            assert fast == slow, invoices
            assert fast == exporter.csv()  # what the download streams on PostgreSQL
    full = ReconciliationExporter(tenant=tenant)
    with activate(tenant):
        body = full.csv().decode()
    assert body.count("\n") > len(lines)  # the quoted line breaks are inside cells
    assert '"\'\tTab, ""q""\r\nline"' in body and ',"\'@SUM(A1)\ufffd",' not in body
    assert ",'@SUM(A1)\ufffd," in body and ",'+1," in body and ",12345678901.234," in body


class UndeclaredDecimals(CopyExporter):
    columns = [text("description"), money("net")]


class PythonColumn(CopyExporter):
    columns = [text("description", convert=str.upper)]


def test_a_copy_exporter_declares_what_postgresql_can_write(billing):
    with pytest.raises(ImproperlyConfigured, match="COPY cannot run Python"):
        b"".join(copy_csv(PythonColumn(InvoiceLine.objects.all())))
    with pytest.raises(ImproperlyConfigured, match="writes the COPY dialect only"):
        type("Spreadsheet", (CopyExporter,), {"dialect": CopyExporter.dialect.__class__()})
    if connection.vendor == "postgresql":
        with pytest.raises(ImproperlyConfigured, match="declare its decimals"):
            b"".join(copy_csv(UndeclaredDecimals(InvoiceLine.objects.all())))
    else:  # elsewhere a CopyExporter is written by the one writer
        assert UndeclaredDecimals(InvoiceLine.objects.none()).csv() == b"description,net\n"
