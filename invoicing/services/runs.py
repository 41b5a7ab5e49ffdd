"""Bulk runs: drafting and issuing across projects in batches, as background tasks."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Account, Region
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
from invoicing.services.grouping import DraftGroup, grouped
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
        raise ValidationError("Choose how to group the invoices.")
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
            "This run is finished: every invoice it drafted is issued. Start a new run for "
            "anything delivered since."
        )
    if run.is_working:
        raise ValidationError(
            f"This run is still working ({run.get_status_display().lower()}): wait until it "
            "stops, then finish the rest."
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


# Invoices per transaction in a bulk run: each batch is written whole or not at all, in a few
# statements (most of a run's time was the fixed cost of a transaction per invoice).
RUN_BATCH = 25


def _draft_batch(tenant, run: InvoiceRun, groups: list[DraftGroup], errors: list[str]) -> None:
    """Draft a batch in one transaction; if anything in it is refused, draft its invoices one
    by one, so that only the refused ones are left out, each with its reason."""
    try:
        with transaction.atomic():
            write_drafts(tenant=tenant, by=run.created_by, groups=groups, run=run)
    except (ValidationError, IntegrityError) as error:
        if len(groups) > 1:
            for group in groups:
                _draft_batch(tenant, run, [group], errors)
            return
        project = groups[0].project
        reason = CLAIM_CONFLICT if isinstance(error, IntegrityError) else " ".join(error.messages)
        errors.append(f"{project.code}: {reason}")
    _update_run(run, errors=errors)


def run_draft(*, tenant, run: InvoiceRun) -> InvoiceRun:
    """Create the run's drafts, RUN_BATCH invoices per transaction (called by the task). Rows
    that are invoiced meanwhile are skipped, so running it again finishes the rest without
    duplicates."""

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
    )
    total = sum(len(e["registrations"]) + len(e["items"]) for e in included.values())
    run.processed = run_counts(run)["rows"]  # a resumed run counts what it drafted before
    _update_run(run, status=RunStatus.DRAFTING, total=run.processed + total)
    errors = list(run.errors)
    grouping = Grouping.ALL if run.grouping == Grouping.PROJECT else run.grouping
    entries = list(included.values())
    batch: list[DraftGroup] = []
    for start in range(0, len(entries), RUN_BATCH):
        chunk = entries[start : start + RUN_BATCH]
        rows = load_rows(
            [entry["project"] for entry in chunk],
            [pk for entry in chunk for pk in entry["registrations"]],
            [pk for entry in chunk for pk in entry["items"]],
            strict=False,
        )
        for entry in chunk:
            batch += grouped(entry["project"], rows[entry["project"].pk], grouping)
        while len(batch) >= RUN_BATCH:
            _draft_batch(tenant, run, batch[:RUN_BATCH], errors)
            batch = batch[RUN_BATCH:]
    if batch:
        _draft_batch(tenant, run, batch, errors)
    _update_run(run)
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
        raise ValidationError("This run has no drafts waiting to be issued.")
    _update_run(run, status=RunStatus.ISSUING)
    enqueue_on_commit(issue_run, tenant=tenant, run_id=run.pk)
    return run


def run_issue(*, tenant, run: InvoiceRun, render_pdfs: bool = True) -> InvoiceRun:
    """Issue every draft of the run, RUN_BATCH per transaction (called by the task)."""
    require_active(tenant)
    errors = list(run.errors)
    drafts = list(
        run.invoices.filter(status=InvoiceStatus.DRAFT).order_by("pk").values_list("pk", flat=True)
    )
    for start in range(0, len(drafts), RUN_BATCH):
        _issue_batch(tenant, run, drafts[start : start + RUN_BATCH], errors, render_pdfs)
    left = run.invoices.filter(status=InvoiceStatus.DRAFT).exists()
    _update_run(
        run,
        status=RunStatus.FAILED if left else RunStatus.DONE,
        finished_at=timezone.now(),
    )
    return run


def _issue_batch(tenant, run, invoice_ids: list[int], errors: list[str], render_pdfs) -> None:
    """Issue a batch in one transaction; if any draft in it is refused, issue them one by one,
    so that only the refused ones stay drafts, each with its reason."""
    # Another worker (a run resumed while its stalled task was in fact alive) may have issued
    # some of these meanwhile: only what is still a draft is issued.
    invoice_ids = list(
        Invoice.objects.filter(pk__in=invoice_ids, status=InvoiceStatus.DRAFT).values_list(
            "pk", flat=True
        )
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
            for invoice_id in invoice_ids:
                _issue_batch(tenant, run, [invoice_id], errors, render_pdfs)
            return
        errors.append(f"Draft invoice #{invoice_ids[0]}: {' '.join(error.messages)}")
    _update_run(run, errors=errors)
