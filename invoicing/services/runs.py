"""Bulk runs: drafting and issuing across projects in batches, as background tasks."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import Account, Region
from accounts.platform.collector import fewer_collections
from accounts.platform.guards import check_tenant, require_active
from accounts.platform.tasks import enqueue_on_commit
from invoicing.models import (
    Grouping,
    Invoice,
    InvoiceRun,
    InvoiceStatus,
    RunStatus,
)
from invoicing.selectors import parse_date, run_candidates, run_counts
from invoicing.services.claims import CLAIM_CONFLICT
from invoicing.services.drafts import load_rows, write_drafts
from invoicing.services.grouping import DraftGroup, grouped, grouped_across
from invoicing.services.issuing import issue_drafts
from invoicing.tasks import draft_run, issue_run
from projects.models import (
    Project,
)


@transaction.atomic
def run_start(*, tenant, by, key: str, selection: dict, grouping: str) -> tuple[InvoiceRun, bool]:
    """Start a bulk run, or return the run this key started already (a double click, a replayed
    form). The drafting task is queued once the run row is committed."""
    require_active(tenant)
    if grouping not in Grouping.values or grouping == Grouping.ALL:
        raise ValidationError(gettext("Choose how to group the invoices."))
    run, created = InvoiceRun.objects.get_or_create(
        tenant=tenant,
        key=key[:64],
        defaults={
            "created_by": by if getattr(by, "is_authenticated", False) else None,
            "selection": selection,
            "grouping": grouping,
            "heartbeat_at": timezone.now(),
        },
    )
    if created:
        enqueue_on_commit(draft_run, tenant=tenant, run_id=run.pk)
    return run, created


@transaction.atomic
def run_resume(*, tenant, by, run: InvoiceRun) -> InvoiceRun:
    """Carry on a run that stopped, whether it failed, left projects out, or lost its worker
    (stalled): drafting picks up what is still invoiceable in its selection (rows invoiced
    meanwhile are skipped, so nothing is invoiced twice); a run that was issuing goes on
    issuing its remaining drafts. The task is queued once the run row is committed."""
    require_active(tenant)
    check_tenant(tenant, run)
    run = InvoiceRun.objects.select_for_update().get(pk=run.pk)
    if run.status == RunStatus.DONE:
        raise ValidationError(
            gettext(
                "This run is finished: every invoice it drafted is issued. Start a new run for "
                "anything delivered since."
            )
        )
    if run.is_working:
        raise ValidationError(
            gettext(
                "This run is still working (%(lower)s): wait until it stops, then finish the rest."
            )
            % {"lower": run.get_status_display().lower()}
        )
    if run.status == RunStatus.ISSUING:  # its worker stopped while issuing
        _update_run(run, status=RunStatus.ISSUING)
        enqueue_on_commit(issue_run, tenant=tenant, run_id=run.pk)
        return run
    _update_run(run, status=RunStatus.QUEUED)
    enqueue_on_commit(draft_run, tenant=tenant, run_id=run.pk)
    return run


def _update_run(run: InvoiceRun, **fields) -> None:
    """Record a run's state and beat its heart. Its counters are counted from the database
    every time, never added up, so a crash or a rolled-back batch cannot leave them wrong."""
    for name, value in fields.items():
        setattr(run, name, value)
    counts = run_counts(run)
    run.invoices_created, run.invoices_issued, run.processed = (
        counts["created"],
        counts["issued"],
        counts["rows"],
    )
    run.heartbeat_at = timezone.now()
    InvoiceRun.objects.filter(pk=run.pk).update(
        **{
            **fields,
            "heartbeat_at": run.heartbeat_at,
            "invoices_created": run.invoices_created,
            "invoices_issued": run.invoices_issued,
            "processed": run.processed,
            "errors": run.errors,
        }
    )


# What one transaction of a bulk run writes at most: RUN_BATCH invoices and RUN_BATCH_ROWS
# registrations and items (an invoice with more rows than that is a batch of its own). Each batch
# is written whole or not at all, in a few statements however many invoices it holds, so its
# fixed cost is shared by many small invoices, while the rows bound keeps a batch of large
# invoices (and what a failure makes redo) the same size as one of small invoices. A batch's
# seventy-odd statements are a fixed cost: 500 invoices of 3 rows made a run of small invoices
# 1.18x as fast as 250 (four alternating pairs), and more gained nothing (the rows bound caps
# them at 666 anyway).
RUN_BATCH = 500
RUN_BATCH_ROWS = 2000
# A run counts its progress from the database (`_update_run`) at most this often, and at its
# end: counting after every batch would read the whole run again each time.
PROGRESS_EVERY = datetime.timedelta(seconds=1)


def batches(sized, *, invoices: int | None = None, rows: int | None = None):
    """Cut `sized` ((thing, rows) pairs, in order) into lists of things of at most `invoices`
    things and `rows` rows (a thing larger than `rows` alone)."""
    invoices, rows = invoices or RUN_BATCH, rows or RUN_BATCH_ROWS
    batch, batch_rows = [], 0
    for thing, size in sized:
        if batch and (len(batch) >= invoices or batch_rows + size > rows):
            yield batch
            batch, batch_rows = [], 0
        batch.append(thing)
        batch_rows += size
    if batch:
        yield batch


def invoice_units(entries, grouping: str) -> list[tuple[list[dict], int]]:
    """The run's candidates ((entry, rows) pairs) cut into what batches may not split, with
    their rows: each project on its own, or per billing account (Grouping.BILLING_ACCOUNT) the
    projects of one billing account and currency together, as they make one invoice."""
    if grouping != Grouping.BILLING_ACCOUNT:
        return [([entry], size) for entry, size in entries]
    together: dict[tuple, list] = defaultdict(list)
    for entry, size in entries:
        project = entry["project"]
        together[(project.billing_account_id, project.currency)].append((entry, size))
    return [
        ([entry for entry, _size in members], sum(size for _entry, size in members))
        for members in together.values()
    ]


def _progress(run: InvoiceRun, errors: list[str]) -> None:
    """After a batch: record a new refusal at once, else count the progress and beat the heart
    every PROGRESS_EVERY."""
    due = run.heartbeat_at is None or timezone.now() - run.heartbeat_at >= PROGRESS_EVERY
    if due or errors != run.errors:
        _update_run(run, errors=list(errors))


def _halves(things: list) -> tuple[list, list]:
    return things[: len(things) // 2], things[len(things) // 2 :]


def _draft_batch(tenant, run: InvoiceRun, groups: list[DraftGroup], errors: list[str]) -> None:
    """Draft a batch in one transaction; if anything in it is refused, draft each half of it
    the same way, so that only the refused invoices are left out, each with its reason (a few
    transactions more per refusal, not one per invoice of the batch)."""
    try:
        with transaction.atomic():
            write_drafts(tenant=tenant, by=run.created_by, groups=groups, run=run)
    except (ValidationError, IntegrityError) as error:
        if len(groups) > 1:
            for half in _halves(groups):
                _draft_batch(tenant, run, half, errors)
            return
        codes = ", ".join(project.code for project in groups[0].projects)
        reason = CLAIM_CONFLICT if isinstance(error, IntegrityError) else " ".join(error.messages)
        errors.append(f"{codes}: {reason}")
    _progress(run, errors)


# A run finds, loads and builds tens of thousands of objects that reference counting frees: at
# the collector's default threshold its passes were a fifth of a run of small invoices.
@fewer_collections()
def run_draft(*, tenant, run: InvoiceRun) -> InvoiceRun:
    """Create the run's drafts, a batch (RUN_BATCH, RUN_BATCH_ROWS) per transaction (called by
    the task). Rows that are invoiced meanwhile are skipped, so running it again finishes the
    rest without duplicates."""

    require_active(tenant)

    selection = run.selection
    included, _excluded = run_candidates(
        date_from=parse_date(selection.get("date_from")),
        date_to=parse_date(selection.get("date_to")),
        account=Account.objects.filter(pk=selection.get("account")).first()
        if selection.get("account")
        else None,
        region=Region.objects.filter(pk=selection.get("region")).first()
        if selection.get("region")
        else None,
        project=Project.objects.filter(pk=selection.get("project")).first()
        if selection.get("project")
        else None,
        include_internal=bool(selection.get("include_internal")),
        skip_no_more_transactions=bool(selection.get("skip_no_more_transactions")),
    )
    total = sum(len(e["registrations"]) + len(e["items"]) for e in included.values())
    run.processed = run_counts(run)["rows"]  # a resumed run counts what it drafted before
    _update_run(run, status=RunStatus.DRAFTING, total=run.processed + total)
    errors = list(run.errors)
    grouping = Grouping.ALL if run.grouping == Grouping.PROJECT else run.grouping
    entries = [
        (entry, len(entry["registrations"]) + len(entry["items"])) for entry in included.values()
    ]

    def groups():
        """The run's invoices to be, with their rows, read a batch of projects at a time (per
        billing account: a billing account's projects in one batch, never cut)."""
        for units in batches(invoice_units(entries, grouping)):
            chunk = [entry for unit in units for entry in unit]
            rows = load_rows(
                [entry["project"] for entry in chunk],
                [pk for entry in chunk for pk in entry["registrations"]],
                [pk for entry in chunk for pk in entry["items"]],
                strict=False,
            )
            if grouping == Grouping.BILLING_ACCOUNT:
                for group in grouped_across([entry["project"] for entry in chunk], rows, grouping):
                    yield group, len(group.rows)
                continue
            for entry in chunk:
                for group in grouped(entry["project"], rows[entry["project"].pk], grouping):
                    yield group, len(group.rows)

    for batch in batches(groups()):
        _draft_batch(tenant, run, batch, errors)
    _update_run(run, errors=errors)  # counts what the run drafted
    _update_run(
        run,
        status=RunStatus.DRAFTED if run.invoices_created else RunStatus.FAILED,
        errors=errors
        or ([] if run.invoices_created else ["Nothing in this selection is ready to invoice."]),
    )
    return run


@transaction.atomic
def run_issue_start(*, tenant, by, run: InvoiceRun) -> InvoiceRun:
    """Issue the run's drafts: after drafting, after a refusal was mended, or again after the
    worker stopped half-way through issuing (stalled)."""
    require_active(tenant)
    run = InvoiceRun.objects.select_for_update().get(pk=run.pk)
    restartable = run.status in (RunStatus.DRAFTED, RunStatus.FAILED) or run.is_stalled
    if not restartable or not run.invoices.filter(status=InvoiceStatus.DRAFT).exists():
        raise ValidationError(gettext("This run has no drafts waiting to be issued."))
    _update_run(run, status=RunStatus.ISSUING)
    enqueue_on_commit(issue_run, tenant=tenant, run_id=run.pk)
    return run


@fewer_collections()  # as in drafting
def run_issue(*, tenant, run: InvoiceRun, render_pdfs: bool = True) -> InvoiceRun:
    """Issue every draft of the run, a batch (RUN_BATCH, RUN_BATCH_ROWS) per transaction
    (called by the task)."""
    require_active(tenant)
    errors = list(run.errors)
    drafts = (
        run.invoices.filter(status=InvoiceStatus.DRAFT)
        .order_by("pk")
        .annotate(rows=Count("lines"))
        .values_list("pk", "rows")
    )
    for batch in batches(list(drafts)):
        _issue_batch(tenant, run, batch, errors, render_pdfs)
    left = run.invoices.filter(status=InvoiceStatus.DRAFT).exists()
    _update_run(
        run,
        status=RunStatus.FAILED if left else RunStatus.DONE,
        finished_at=timezone.now(),
        errors=errors,
    )
    return run


def _issue_batch(tenant, run, invoice_ids: list[int], errors: list[str], render_pdfs) -> None:
    """Issue a batch in one transaction; if any draft in it is refused, issue each half of it
    the same way, so that only the refused ones stay drafts, each with its reason."""
    # Another worker (a run resumed while its stalled task was in fact alive) may have issued
    # some of these meanwhile: only what is still a draft is issued.
    invoice_ids = list(
        Invoice.objects.filter(pk__in=invoice_ids, status=InvoiceStatus.DRAFT)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not invoice_ids:
        return
    try:
        with transaction.atomic():
            issue_drafts(
                tenant=tenant, by=run.created_by, invoice_ids=invoice_ids, render_pdf=render_pdfs
            )
    except ValidationError as error:
        if len(invoice_ids) > 1:
            for half in _halves(invoice_ids):
                _issue_batch(tenant, run, half, errors, render_pdfs)
            return
        errors.append(f"Draft invoice #{invoice_ids[0]}: {' '.join(error.messages)}")
    _progress(run, errors)
