import datetime
import gc
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import TestCase
from django.utils import timezone

from accounts.platform import collector
from accounts.platform.tenancy import activate
from invoicing import selectors, services
from invoicing.models import (
    BillingClaim,
    ExchangeRate,
    Grouping,
    Invoice,
    InvoiceLine,
    InvoiceRun,
    InvoiceStatus,
    RunStatus,
)
from invoicing.services import drafts, runs
from projects.models import Registration, RegistrationStatus
from tests.factories import AccountFactory, EventFactory, ProjectFactory


def delivered(project, count, day=datetime.date(2026, 3, 1)):
    event = EventFactory(project=project, start_date=day, end_date=day)
    Registration.objects.bulk_create(
        [
            Registration(
                tenant=project.tenant,
                project=project,
                event=event,
                places=1,
                requested_date=day,
                status=RegistrationStatus.DELIVERED,
                unit_price=Decimal("100"),
                net_amount=Decimal("100"),
            )
            for _ in range(count)
        ]
    )


@pytest.fixture
def estate(world_a):
    tenant = world_a.tenant
    account = AccountFactory(tenant=tenant)
    projects = {
        "a": ProjectFactory(account=account, code="PR-A"),
        "b": ProjectFactory(account=account, code="PR-B", currency="GBP"),
        "finished": ProjectFactory(account=account, code="PR-F", status="finished"),
        "dni": ProjectFactory(account=account, code="PR-D", do_not_invoice=True),
        "internal": ProjectFactory(account=account, code="PR-I", project_type="internal"),
    }
    for project in projects.values():
        delivered(project, 3)
    delivered(projects["a"], 2, day=datetime.date(2025, 6, 1))
    return {"tenant": tenant, "world": world_a, "projects": projects}


def start(estate, key="k1", grouping=Grouping.PROJECT, **selection):
    """Start a run; the on-commit task runs at once, as after a real commit."""
    with activate(estate["tenant"]), TestCase.captureOnCommitCallbacks(execute=True):
        return services.run_start(
            tenant=estate["tenant"],
            by=estate["world"].finance,
            key=key,
            selection={"include_internal": False, **selection},
            grouping=grouping,
        )


def test_the_preview_counts_totals_per_currency_and_says_what_is_left_out(estate):
    with activate(estate["tenant"]):
        included, excluded = selectors.run_candidates()
        preview = selectors.run_preview(included, Grouping.PROJECT)
    assert preview["rows"] == 8 and preview["projects"] == 2
    assert preview["per_currency"] == [("EUR", Decimal("500.000")), ("GBP", Decimal("300.000"))]
    reasons = {project.code: reason for project, reason in excluded}
    assert reasons == {
        "PR-F": "the project is finished",
        "PR-D": "the project is marked “do not invoice”",
        "PR-I": "the project is internal",
    }


def test_a_run_drafts_then_issues_with_progress(estate):
    ExchangeRate.objects.create(
        tenant=estate["tenant"],
        currency="GBP",
        date=timezone.localdate() - datetime.timedelta(days=3),  # within the 7 days accepted
        rate=Decimal("1.15"),
    )
    run, created = start(estate)  # the immediate backend runs the task on commit in tests
    run.refresh_from_db()
    assert created and run.status == "drafted" and run.invoices_created == 2
    assert (run.processed, run.total, run.percent_done) == (8, 8, 100)
    with activate(estate["tenant"]), TestCase.captureOnCommitCallbacks(execute=True):
        services.run_issue_start(tenant=estate["tenant"], by=None, run=run)
    run.refresh_from_db()
    assert run.status == "done" and run.invoices_issued == 2
    with activate(estate["tenant"]):
        assert sorted(Invoice.objects.values_list("number", flat=True)) == [
            "INV-00001",
            "INV-00002",
        ]


def test_issuing_a_run_renders_its_pdfs_a_batch_per_task(estate, monkeypatch):
    """A bulk run queues one PDF task per PDF_BATCH invoices of a batch, not one per invoice;
    the task renders each of them."""
    from invoicing import tasks
    from invoicing.services import issuing

    ExchangeRate.objects.create(
        tenant=estate["tenant"], currency="GBP", date=timezone.localdate(), rate=Decimal("1.15")
    )
    queued = []
    real = issuing.enqueue_on_commit
    monkeypatch.setattr(
        issuing,
        "enqueue_on_commit",
        lambda task, **kwargs: (
            queued.append((task, kwargs.get("invoice_ids"))) or real(task, **kwargs)
        ),
    )
    run, _ = start(estate, key="pdfs")
    with activate(estate["tenant"]), TestCase.captureOnCommitCallbacks(execute=True):
        services.run_issue_start(tenant=estate["tenant"], by=None, run=run)
    with activate(estate["tenant"]):
        invoices = list(Invoice.objects.order_by("pk"))
        assert queued == [(tasks.render_invoice_pdfs, [invoice.pk for invoice in invoices])]
        assert all(invoice.pdf for invoice in invoices)


def test_submitting_the_same_run_twice_gives_the_same_run(estate):
    first, created_first = start(estate, key="same")
    second, created_second = start(estate, key="same")
    assert first.pk == second.pk and created_first and not created_second
    with activate(estate["tenant"]):
        assert Invoice.objects.count() == 2


def test_a_window_with_nothing_to_invoice_says_so(estate):
    run, _ = start(estate, date_from="2030-01-01")
    run.refresh_from_db()
    assert run.status == "failed" and run.invoices_created == 0
    assert run.errors == ["Nothing in this selection is ready to invoice."]


def test_the_date_window_selects_by_delivery_date(estate):
    with activate(estate["tenant"]):
        included, _ = selectors.run_candidates(date_to=datetime.date(2025, 12, 31))
    assert [len(e["registrations"]) for e in included.values()] == [2]


@pytest.mark.parametrize("batch", [1, runs.RUN_BATCH])
def test_a_failure_half_way_leaves_no_half_invoice_and_a_rerun_finishes_the_rest(
    estate, monkeypatch, batch
):
    """With one invoice per transaction the first invoice survives the failure; with both in
    one batch neither does. Either way nothing is half-written and a rerun finishes the rest."""
    monkeypatch.setattr(runs, "RUN_BATCH", batch)
    real = drafts.insert_rows  # the invoices and the lines (claims: their own module)
    calls = {"n": 0}

    def flaky(model, rows, **kwargs):
        calls["n"] += model is InvoiceLine  # the invoices of the batch are written by then
        if calls["n"] == 2 or batch > 1:
            raise RuntimeError("database went away")
        return real(model, rows, **kwargs)

    monkeypatch.setattr(drafts, "insert_rows", flaky)
    start(estate, key="flaky")  # the task fails; the immediate backend records it
    with activate(estate["tenant"]):
        run = InvoiceRun.objects.get(key="flaky")
        assert run.status == "failed" and "unexpected error" in run.errors[-1]
        assert "database went away" not in " ".join(run.errors)  # exception text goes to the log
        survivors = 1 if batch == 1 else 0
        assert Invoice.objects.count() == survivors
        assert BillingClaim.objects.count() == sum(
            invoice.lines.count() for invoice in Invoice.objects.all()
        )
        assert Registration.objects.filter(invoiced=True).count() == BillingClaim.objects.count()
        monkeypatch.setattr(drafts, "insert_rows", real)
        services.run_draft(tenant=estate["tenant"], run=run)
        assert Invoice.objects.count() == 2
        claimed = list(BillingClaim.objects.values_list("registration_id", flat=True))
        assert len(claimed) == len(set(claimed)) == 8


def test_a_refused_invoice_leaves_the_rest_of_its_batch_drafted(estate):
    project = estate["projects"]["a"]
    project.max_billing_amount = Decimal("100")
    project.save()
    run, _ = start(estate, key="capped")
    run.refresh_from_db()
    assert run.status == "drafted" and run.invoices_created == 1
    assert len(run.errors) == 1 and run.errors[0].startswith("PR-A: PR-A may be billed at most")
    with activate(estate["tenant"]):
        assert list(Invoice.objects.values_list("project__code", flat=True)) == ["PR-B"]
        assert not Registration.objects.filter(project=project, invoiced=True).exists()


def test_a_draft_that_cannot_be_issued_stays_a_draft_and_the_others_are_numbered(estate):
    run, _ = start(estate, key="no-rate")  # PR-B is in GBP and there is no GBP rate
    with activate(estate["tenant"]), TestCase.captureOnCommitCallbacks(execute=True):
        services.run_issue_start(tenant=estate["tenant"], by=None, run=run)
    run.refresh_from_db()
    assert run.status == "failed" and run.invoices_issued == 1
    assert "There is no GBP → EUR exchange rate" in run.errors[-1]
    with activate(estate["tenant"]):
        issued = Invoice.objects.exclude(status=InvoiceStatus.DRAFT)
        assert [(i.project.code, i.number) for i in issued] == [("PR-A", "INV-00001")]
        assert Invoice.objects.get(project__code="PR-B").status == InvoiceStatus.DRAFT


def test_a_run_works_its_batches_with_fewer_collections_and_sets_the_collector_back(
    estate, monkeypatch
):
    """A batch's tens of thousands of short-lived objects would set off thousands of the cyclic
    collector's passes (a fifth of a run of small invoices); a refused batch and the end of the
    run leave the collector's thresholds as they were."""
    before = gc.get_threshold()
    seen = []
    for module, name in ((runs, "write_drafts"), (runs, "issue_drafts")):
        original = getattr(module, name)

        def watched(*args, _original=original, **kwargs):
            seen.append(gc.get_threshold()[0])
            return _original(*args, **kwargs)

        monkeypatch.setattr(module, name, watched)
    run, _ = start(estate, key="collected")  # PR-B's draft is refused at issue: no GBP rate
    with activate(estate["tenant"]), TestCase.captureOnCommitCallbacks(execute=True):
        services.run_issue_start(tenant=estate["tenant"], by=None, run=run)
    run.refresh_from_db()
    assert run.status == "failed" and run.invoices_issued == 1  # one batch refused, then halves
    assert len(seen) >= 3 and set(seen) == {max(collector.FEWER, before[0])}
    assert gc.get_threshold() == before


def test_a_run_reports_an_exchange_rate_too_old_for_the_issue_date(estate):
    ExchangeRate.objects.create(
        tenant=estate["tenant"],
        currency="GBP",
        date=datetime.date(2020, 1, 1),
        rate=Decimal("1.15"),
    )
    run, _ = start(estate, key="stale-rate")
    with activate(estate["tenant"]), TestCase.captureOnCommitCallbacks(execute=True):
        services.run_issue_start(tenant=estate["tenant"], by=None, run=run)
    run.refresh_from_db()
    assert run.status == "failed" and run.invoices_issued == 1
    assert "exchange rate is of 01 Jan 2020" in run.errors[-1]
    assert "at most 7 days old" in run.errors[-1]
    with activate(estate["tenant"]):
        assert Invoice.objects.get(project__code="PR-B").status == InvoiceStatus.DRAFT


def test_a_finished_run_cannot_be_resumed(estate):
    run, _ = start(estate, key="finished")
    with activate(estate["tenant"]):
        InvoiceRun.objects.filter(pk=run.pk).update(status=RunStatus.DONE)
        run.refresh_from_db()
        with pytest.raises(ValidationError, match="This run is finished"):
            services.run_resume(tenant=estate["tenant"], by=None, run=run)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE


def test_a_working_run_cannot_be_resumed_twice(estate):
    run, _ = start(estate, key="working")
    with activate(estate["tenant"]):
        InvoiceRun.objects.filter(pk=run.pk).update(status=RunStatus.DRAFTING)
        run.refresh_from_db()
        with pytest.raises(ValidationError, match="still working"):
            services.run_resume(tenant=estate["tenant"], by=None, run=run)


def test_a_stopped_run_resumes_and_drafts_the_rest(estate, monkeypatch):
    real = drafts.insert_rows
    monkeypatch.setattr(drafts, "insert_rows", lambda model, rows: 1 / 0)
    start(estate, key="stopped")
    monkeypatch.setattr(drafts, "insert_rows", real)
    with activate(estate["tenant"]):
        run = InvoiceRun.objects.get(key="stopped")
        assert run.status == RunStatus.FAILED and not Invoice.objects.exists()
        with TestCase.captureOnCommitCallbacks(execute=False) as queued:
            services.run_resume(tenant=estate["tenant"], by=estate["world"].finance, run=run)
        run.refresh_from_db()
        assert run.status == RunStatus.QUEUED and len(queued) == 1  # queued on commit, not yet run
        queued[0]()  # the commit: the immediate backend drafts the rest
        run.refresh_from_db()
        assert run.status == RunStatus.DRAFTED and Invoice.objects.count() == 2


def test_an_invalid_grouping_is_refused(estate):
    with pytest.raises(ValidationError, match="how to group"):
        start(estate, grouping="nonsense")


def test_two_runs_at_the_same_moment_never_invoice_anything_twice(postgres_only, estate):
    barrier = threading.Barrier(2)
    errors = []

    def run(key):
        try:
            barrier.wait()
            start(estate, key=key)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(f"race-{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with activate(estate["tenant"]):
        claimed = list(BillingClaim.objects.values_list("registration_id", flat=True))
        lines = list(
            Invoice.objects.filter(status=InvoiceStatus.DRAFT).values_list(
                "lines__registration_id", flat=True
            )
        )
    assert len(claimed) == len(set(claimed)) == 8
    assert sorted(filter(None, lines)) == sorted(claimed)


def test_concurrent_issuing_gives_gapless_unique_numbers(postgres_only, estate):
    ExchangeRate.objects.create(
        tenant=estate["tenant"],
        currency="GBP",
        date=datetime.date.today(),
        rate=Decimal("1.15"),
    )
    with activate(estate["tenant"]):
        for project in (estate["projects"]["a"], estate["projects"]["b"]):
            services.drafts_create(
                tenant=estate["tenant"],
                by=None,
                project=project,
                registration_ids=list(
                    Registration.objects.filter(project=project).values_list("pk", flat=True)
                ),
                grouping=Grouping.REGISTRATION,
            )
        drafts = list(Invoice.objects.filter(status="draft").order_by("pk"))
    barrier = threading.Barrier(4)
    failures = []

    def issue(chunk):
        try:
            barrier.wait()
            with activate(estate["tenant"]):
                for invoice in chunk:
                    services.invoice_issue(
                        tenant=estate["tenant"], by=None, invoice=invoice, render_pdf=False
                    )
        except Exception as error:
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue, args=(drafts[n::4],)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with activate(estate["tenant"]):
        numbers = sorted(Invoice.objects.values_list("sequence_number", flat=True))
    assert failures == []
    assert numbers == list(range(1, len(drafts) + 1))


def queries_of_a_run(world, projects: int, registrations_each: int, key: str = "count") -> int:
    """Queries a bulk run takes to draft and issue `registrations_each` rows on each of
    `projects` new projects, the writing of lines apart."""
    from django.test.utils import CaptureQueriesContext

    account = AccountFactory(tenant=world.tenant)
    for n in range(projects):
        delivered(ProjectFactory(account=account, code=f"{key}-{n}"), registrations_each)
    with activate(world.tenant):
        run = InvoiceRun.objects.create(
            tenant=world.tenant, key=key, grouping=Grouping.PROJECT, selection={}
        )
        with CaptureQueriesContext(connection) as queries:
            services.run_draft(tenant=world.tenant, run=run)
            services.run_issue(tenant=world.tenant, run=run, render_pdfs=False)
        run.refresh_from_db()
        assert run.invoices_issued == projects
    # SQLite's bulk_create splits the lines by its parameter limit; PostgreSQL streams them.
    return sum(
        1
        for query in queries.captured_queries
        if not query["sql"].startswith('INSERT INTO "invoicing_invoiceline"')
    )


def test_a_bulk_run_takes_as_many_queries_for_many_rows_as_for_few(world_a, world_b, monkeypatch):
    """Writes are batched per RUN_BATCH invoices and RUN_BATCH_ROWS rows: up to that, more
    projects and more rows per project cost no extra query. (Smaller bounds than the real ones,
    for a quicker test; progress counted at the end only, as in a run of less than a second.)"""
    monkeypatch.setattr(runs, "RUN_BATCH", 20)
    monkeypatch.setattr(runs, "RUN_BATCH_ROWS", 120)
    monkeypatch.setattr(runs, "PROGRESS_EVERY", datetime.timedelta(hours=1))
    few = queries_of_a_run(world_a, projects=2, registrations_each=2)
    many = queries_of_a_run(world_b, projects=runs.RUN_BATCH, registrations_each=6)
    assert many == few


def test_a_batch_is_bounded_by_invoices_and_by_rows(world_a, monkeypatch):
    """A batch holds at most RUN_BATCH invoices and RUN_BATCH_ROWS rows (an invoice larger than
    that alone): each batch more costs the same few queries again."""
    monkeypatch.setattr(runs, "PROGRESS_EVERY", datetime.timedelta(hours=1))
    sizes = [("a", 3), ("b", 3), ("c", 9), ("d", 1), ("e", 1), ("f", 1), ("g", 1)]
    assert list(runs.batches(sizes, invoices=3, rows=6)) == [
        ["a", "b"],
        ["c"],
        ["d", "e", "f"],
        ["g"],
    ]
    queries_of_a_run(world_a, projects=1, registrations_each=1, key="first")  # numbering starts
    counts = {}
    for rows in (8, 4, 2):  # four projects of two rows: one batch, two, four
        monkeypatch.setattr(runs, "RUN_BATCH_ROWS", rows)
        counts[rows] = queries_of_a_run(world_a, projects=4, registrations_each=2, key=f"r{rows}")
    one_batch, two_batches, four_batches = counts[8], counts[4], counts[2]
    per_batch = two_batches - one_batch
    assert per_batch > 0 and four_batches - one_batch == 3 * per_batch


def test_a_run_is_worked_only_inside_its_own_companys_scope(estate, world_b):
    with activate(estate["tenant"]):
        run = InvoiceRun.objects.create(
            tenant=estate["tenant"], key="scope", grouping=Grouping.PROJECT, selection={}
        )
    with activate(world_b.tenant):
        for work in (services.run_draft, services.run_issue):
            with pytest.raises(RuntimeError, match="Activate the scope of Alpha Training"):
                work(tenant=estate["tenant"], run=run)
    with activate(estate["tenant"]):
        assert not Invoice.objects.exists()


def test_a_run_may_leave_out_projects_that_take_no_more_transactions(estate):
    """Issue 13, part 6: an option of the run, off by default (they can still be invoiced)."""
    project = estate["projects"]["b"]
    with activate(estate["tenant"]):
        type(project).objects.filter(pk=project.pk).update(status="no_more_transactions")
        included, _excluded = selectors.run_candidates()
        assert project.pk in included
        included, excluded = selectors.run_candidates(skip_no_more_transactions=True)
    assert project.pk not in included
    assert {p.code: reason for p, reason in excluded}["PR-B"] == (
        "the project takes no more transactions and the run leaves those out"
    )
    run, _created = start(estate, key="nmt", skip_no_more_transactions=True)
    run.refresh_from_db()
    assert run.invoices_created == 1  # PR-A only
