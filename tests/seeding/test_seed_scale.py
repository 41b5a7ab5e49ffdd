"""`seed_scale` builds a large tenant for the load test; `loadtest` reads wrk's figures."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Account, Contact
from accounts.platform.models import Tenant
from accounts.platform.tenancy import activate
from demo.management.commands.loadtest import Result, _parse_wrk, chosen, medians
from invoicing.models import Invoice, InvoiceStatus
from projects.models import PrivateEvent, Project, Registration

SMALL = [
    "--accounts=12",
    "--contacts=40",
    "--projects=6",
    "--events=30",
    "--registrations=90",
    "--invoices=20",
    "--largest_project=30",
]


def test_seed_scale_builds_the_sizes_asked_for_through_the_real_bulk_runs(db):
    out = StringIO()
    call_command("seed_scale", "--tenant=big", *SMALL, stdout=out)
    tenant = Tenant.objects.get(slug="big")
    with activate(tenant):
        assert Account.objects.count() == 12
        assert Contact.objects.count() == 40
        assert Project.objects.count() == 6
        assert PrivateEvent.objects.count() == 30
        assert Registration.objects.count() == 90
        busiest = Project.objects.order_by("pk").first()
        assert Registration.objects.filter(project=busiest).count() >= 30
        issued = Invoice.objects.filter(status=InvoiceStatus.ISSUED)
        assert issued.count() == 20
        # Real invoices: numbered, with lines whose nets add up to the invoice's net.
        invoice = issued.order_by("sequence_number").first()
        assert invoice.number == "LT-00001"
        assert sum((line.net for line in invoice.lines.all()), Decimal(0)) == invoice.net_total
        # The numbers came from the services' counters: the next account continues them.
        numbers = sorted(Account.objects.values_list("number", flat=True))
        assert numbers == list(range(numbers[0], numbers[0] + 12))
    assert "admin@big.example" in out.getvalue()


def test_seed_scale_refuses_an_existing_tenant_unless_told_to_leave_it(db):
    Tenant.objects.create(name="Big", slug="big")
    with pytest.raises(CommandError, match="exists already"):
        call_command("seed_scale", "--tenant=big", *SMALL, stdout=StringIO())
    out = StringIO()
    call_command("seed_scale", "--tenant=big", "--if-missing", *SMALL, stdout=out)
    assert "left as it is" in out.getvalue()


WRK_OUTPUT = """Running 10s test @ http://127.0.0.1:8000/probe/
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     8.21ms    2.11ms  40.02ms   91.23%
  Latency Distribution
     50%    7.90ms
     75%    8.50ms
     90%    9.80ms
     99%    1.02s
  9742 requests in 10.00s, 2.10MB read
  Non-2xx or 3xx responses: 3
Requests/sec:    973.95
Transfer/sec:    215.11KB
"""


def test_the_load_test_reads_requests_per_second_and_percentiles_from_wrk():
    rps, p50, p99, errors = _parse_wrk(WRK_OUTPUT)
    assert rps == pytest.approx(973.95)
    assert p50 == pytest.approx(7.9)
    assert p99 == pytest.approx(1020.0)
    assert errors == "3 non-2xx"


def test_loadtest_rounds_give_medians_and_ratios_to_the_same_rounds_bare_view():
    def round_(bare, page, p99):
        return [
            Result("bare view", "/probe/", bare, 5, 9, ""),
            Result("list", "/l/", page, 50, p99, ""),
        ]

    # The machine slowed in the second round: the page's ratio is judged against that round's
    # bare view, so the slow round's ratio (0.1) is as good as the others.
    bare, page = medians([round_(1000, 100, 90), round_(500, 50, 300), round_(1000, 120, 100)])
    assert bare.rps == 1000 and bare.ratio == 1
    assert page.rps == 100 and page.p99_ms == 100
    assert page.ratio == pytest.approx(0.1)
    assert medians([round_(400, 40, 80)])[1].ratio == pytest.approx(0.1)


def test_loadtest_pages_picks_pages_by_words_of_their_names():
    pages = [("accounts list", "/a/"), ("project detail", "/p/"), ("registrations tab", "/r/")]
    assert chosen(pages, "") == pages
    assert chosen(pages, "project, registrations") == pages[1:]
    with pytest.raises(CommandError, match="No page's name contains any of: invoices"):
        chosen(pages, "invoices")
