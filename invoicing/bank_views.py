"""Pages of bank statements (issue 16, part 4), for finance and admins (`permissions.INVOICE`):

- import (`bank-import`): upload a camt.053 file or a bank CSV for one of the company's bank
  accounts; a CSV without a saved mapping (or with "map again") asks which column holds what
  first; then the preview (every line, which were imported already, an error per bad row:
  nothing is saved unless the whole file is valid), then the import (asked once);
- review (`bank-review`): the credit lines waiting for finance, each with its proposed match;
- lines (`bank-lines`): every statement line with its status, filtered;
- a line (`bank-line`): confirm the proposal, or correct it (an open invoice found through a
  search box, several for a split, the amounts to each), leave it all on the payer's account,
  match it again, or mark it "not a customer payment".

Between upload and import the parsed statement waits in the import preview storage
(`accounts.platform.import_tasks`), so any app server can finish it.
"""

from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views import View

from accounts.models import BankAccount
from accounts.platform import import_tasks, permissions
from accounts.platform.bounds import parse_id
from accounts.platform.importing import check_file
from accounts.platform.money import round_money
from accounts.platform.views import TenantViewMixin
from invoicing import access, bank_selectors, services
from invoicing.bank_forms import CsvMappingForm, IgnoreLineForm, LineFilterForm, StatementUploadForm
from invoicing.bank_parsing import csv_headers, file_kind, parse_camt053, parse_csv
from invoicing.models import BankCsvMapping, BankLineMatch, Direction, LineStatus
from invoicing.services.bank import check_statement_account, imported_keys

PREVIEW_KIND = "bank-statement"
PAGE_SIZE = 50


def _url(request, name, **kwargs):
    return reverse(f"invoicing:{name}", kwargs={"tenant_slug": request.tenant.slug, **kwargs})


def _upload_path(tenant_id, token: str) -> str:
    # Beside the previews, so that their clean-up (`purge_import_previews`) removes it too.
    return import_tasks.preview_path(tenant_id, token).replace(".json", ".bank")


# --- Import ---------------------------------------------------------------------------------


class BankImportView(TenantViewMixin, View):
    permission = permissions.INVOICE
    write_permission = permissions.INVOICE
    template_name = "invoicing/bank_import.html"

    def bank_accounts(self):
        return BankAccount.objects.filter(is_active=True).order_by("label")

    def render_page(self, status=200, **context):
        context.setdefault("form", StatementUploadForm(bank_accounts=self.bank_accounts()))
        context["has_bank_accounts"] = self.bank_accounts().exists()
        context["import_subtitle"] = "camt.053 (versions .02 to .08) or the bank's CSV export"
        return render(self.request, self.template_name, context, status=status)

    def get(self, request):
        token = request.GET.get("preview")
        if token:
            preview = self.load(token)
            if preview is None or preview.get("state") != "ready":
                messages.error(
                    request, gettext("That preview has expired: upload the statement again.")
                )
                return redirect(_url(request, "bank-import"))
            return self.show_preview(token, preview)
        return self.render_page()

    def post(self, request):
        if "confirm_token" in request.POST:
            return self.confirm(request.POST["confirm_token"])
        if "mapping_token" in request.POST:
            return self.map_columns(request.POST["mapping_token"])
        form = StatementUploadForm(request.POST, request.FILES, bank_accounts=self.bank_accounts())
        if not form.is_valid():
            return self.render_page(status=422, form=form)
        bank_account, upload = form.cleaned_data["bank_account"], form.cleaned_data["file"]
        try:
            kind = file_kind(upload.name)
            if kind == "camt053":
                parsed = parse_camt053(upload, name=upload.name)
                return self.preview(bank_account, parsed)
            name = check_file(upload)
            mapping = BankCsvMapping.objects.filter(bank_account=bank_account).first()
            if mapping is None or form.cleaned_data["remap"]:
                return self.ask_mapping(bank_account, upload, name, mapping)
            parsed = parse_csv(
                upload,
                name=name,
                mapping=self.mapping_values(mapping),
                default_currency=self.currency_of(bank_account),
            )
        except ValidationError as error:
            form.add_error("file", error)
            return self.render_page(status=422, form=form)
        return self.preview(bank_account, parsed)

    # The CSV's columns --------------------------------------------------------------------

    def currency_of(self, bank_account) -> str:
        return bank_account.currency or self.request.tenant.base_currency

    def mapping_values(self, mapping) -> dict:
        return {
            **mapping.columns(),
            "date_format": mapping.date_format,
            "decimal_format": mapping.decimal_format,
        }

    def ask_mapping(self, bank_account, upload, name, mapping):
        headers = csv_headers(upload, name=name)
        token = import_tasks.new_token()
        upload.seek(0)
        default_storage.save(_upload_path(self.request.tenant.pk, token), upload)
        import_tasks.write_preview(
            self.request.tenant.pk,
            token,
            {
                "state": "mapping",
                "view": PREVIEW_KIND,
                "bank_account": bank_account.pk,
                "name": name,
                "headers": headers,
            },
        )
        initial = self.mapping_values(mapping) if mapping else {}
        form = CsvMappingForm(initial=initial, headers=headers)
        return self.render_mapping(bank_account, token, form)

    def render_mapping(self, bank_account, token, form, status=200):
        return self.render_page(
            status=status,
            mapping_form=form,
            mapping_token=token,
            bank_account=bank_account,
        )

    def map_columns(self, token):
        preview = self.load(token)
        if preview is None or preview.get("state") != "mapping":
            messages.error(
                self.request, gettext("That upload has expired: upload the statement again.")
            )
            return redirect(_url(self.request, "bank-import"))
        bank_account = access.get_bank_account_for_import(self.request, preview["bank_account"])
        form = CsvMappingForm(self.request.POST, headers=preview["headers"])
        if not form.is_valid():
            return self.render_mapping(bank_account, token, form, status=422)
        try:
            mapping = services.csv_mapping_save(
                tenant=self.request.tenant,
                by=self.request.user,
                bank_account=bank_account,
                values=form.cleaned_data,
            )
            with default_storage.open(_upload_path(self.request.tenant.pk, token)) as stored:
                parsed = parse_csv(
                    stored,
                    name=preview["name"],
                    mapping=self.mapping_values(mapping),
                    default_currency=self.currency_of(bank_account),
                )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
            return self.render_mapping(bank_account, token, form, status=422)
        except FileNotFoundError:
            messages.error(
                self.request, gettext("That upload has expired: upload the statement again.")
            )
            return redirect(_url(self.request, "bank-import"))
        import_tasks.discard_preview(self.request.tenant.pk, token)
        default_storage.delete(_upload_path(self.request.tenant.pk, token))
        messages.success(
            self.request,
            gettext("Column mapping saved for %(label)s: its next file needs none.")
            % {"label": bank_account.label},
        )
        return self.preview(bank_account, parsed)

    # Preview and import -------------------------------------------------------------------

    def preview(self, bank_account, parsed):
        try:
            check_statement_account(parsed.as_state(), bank_account)
        except ValidationError as error:
            parsed.errors.insert(0, ("statement", " ".join(error.messages)))
        if not parsed.ok:
            return self.render_page(
                status=422,
                errors=parsed.errors[:200],
                error_count=len(parsed.errors),
                bank_account=bank_account,
                file_name=parsed.file_name,
            )
        token = import_tasks.new_token()
        import_tasks.write_preview(
            self.request.tenant.pk,
            token,
            {
                "state": "ready",
                "view": PREVIEW_KIND,
                "bank_account": bank_account.pk,
                "parsed": parsed.as_state(),
            },
        )
        import_tasks.purge_import_previews(tenant_id=self.request.tenant.pk)
        return redirect(_url(self.request, "bank-import") + f"?preview={token}")

    def show_preview(self, token, preview):
        bank_account = access.get_bank_account_for_import(self.request, preview["bank_account"])
        parsed = preview["parsed"]
        lines = parsed["lines"]
        seen = imported_keys(bank_account, [line["key"] for line in lines])
        for line in lines:
            line["already"] = line["key"] in seen
            line["amount"] = Decimal(line["amount"])
        credits = [line for line in lines if line["direction"] == Direction.CREDIT]
        return self.render_page(
            preview=parsed,
            preview_lines=lines[:500],
            preview_token=token,
            bank_account=bank_account,
            new_count=sum(1 for line in lines if not line["already"]),
            already_count=len(seen),
            credit_count=len(credits),
            debit_count=len(lines) - len(credits),
        )

    def load(self, token) -> dict | None:
        try:
            preview = import_tasks.read_preview(self.request.tenant.pk, token)
        except ValueError:
            raise Http404("No such import.") from None
        if preview is not None and preview.get("view") != PREVIEW_KIND:
            raise Http404("No such import.")
        return preview

    def confirm(self, token):
        preview = self.load(token)
        tenant = self.request.tenant
        if preview is None or preview.get("state") != "ready":
            messages.error(
                self.request, gettext("That preview has expired: upload the statement again.")
            )
            return redirect(_url(self.request, "bank-import"))
        bank_account = access.get_bank_account_for_import(self.request, preview["bank_account"])
        if not import_tasks.claim_preview(tenant.pk, token):
            messages.info(self.request, gettext("This statement is being imported already."))
            return redirect(_url(self.request, "bank-review"))
        try:
            result = services.statement_import(
                tenant=tenant,
                by=self.request.user,
                bank_account=bank_account,
                parsed=preview["parsed"],
            )
        except ValidationError as error:
            import_tasks.release_preview(tenant.pk, token)
            messages.error(self.request, " ".join(error.messages))
            return redirect(_url(self.request, "bank-import") + f"?preview={token}")
        import_tasks.discard_preview(tenant.pk, token)
        if result.statement is None:
            messages.info(self.request, result.message)
            return redirect(_url(self.request, "bank-lines"))
        messages.success(self.request, result.message)
        return redirect(_url(self.request, "bank-review") + f"?statement={result.statement.pk}")


# --- Lists ----------------------------------------------------------------------------------


def _with_matches(queryset):
    return queryset.prefetch_related(
        Prefetch("matches", queryset=BankLineMatch.objects.select_related("invoice"))
    )


class BankLineListView(TenantViewMixin, View):
    """Every statement line (`bank-lines`), or the credits waiting for finance (`review`)."""

    permission = permissions.INVOICE
    template_name = "invoicing/bank_lines.html"
    review = False

    def get(self, request):
        form = LineFilterForm(request.GET or None)
        filters = form.cleaned_data if form.is_valid() else {}
        statement = filters.get("statement")
        if self.review:
            rows = bank_selectors.lines(direction=Direction.CREDIT, statement=statement).filter(
                status__in=(LineStatus.MATCHED, LineStatus.NEW)
            )
            rows = rows.order_by("-status", "booking_date", "pk")  # matched first, oldest first
        else:
            rows = bank_selectors.lines(
                status=filters.get("status"),
                direction=filters.get("direction"),
                statement=statement,
            )
        page = Paginator(_with_matches(rows), PAGE_SIZE).get_page(request.GET.get("page"))
        query = {key: value for key, value in filters.items() if value}
        return render(
            request,
            self.template_name,
            {
                "review": self.review,
                "page": page,
                "filter_form": form if not self.review else None,
                "counts": bank_selectors.status_counts(),
                "query": urlencode(query),
                "statement": statement,
            },
        )


# --- One line -------------------------------------------------------------------------------


def _shown(line) -> str:
    return f"{round_money(line.amount, line.currency):,} {line.currency}"


def _picked(request) -> list[int]:
    ids = []
    for value in request.GET.getlist("pick")[:20] + request.POST.getlist("pick")[:20]:
        pk = parse_id(value)
        if pk and pk not in ids:
            ids.append(pk)
    return ids


class BankLineView(TenantViewMixin, View):
    permission = permissions.INVOICE
    write_permission = permissions.INVOICE
    template_name = "invoicing/bank_line.html"

    def get(self, request, pk):
        return self.render_page(access.get_bank_line_for_write(request, pk))

    def chosen(self, line, picked, amounts=None) -> list[dict]:
        """The invoices the line is to pay, with the amount to each: those picked (split in
        order, each at most what is outstanding) or else the proposal."""
        if picked:
            invoices = bank_selectors.invoices_by_ids(picked, currency=line.currency)
            left, rows = line.amount, []
            for invoice in invoices:
                outstanding = round_money(invoice.outstanding, invoice.currency)
                share = min(left, outstanding) if left > 0 else Decimal(0)
                left -= share
                rows.append({"invoice": invoice, "amount": share, "outstanding": outstanding})
        else:
            proposed = {match.invoice_id: match.amount for match in line.matches.all()}
            invoices = bank_selectors.invoices_by_ids(list(proposed), currency=line.currency)
            rows = [
                {
                    "invoice": invoice,
                    "amount": proposed[invoice.pk],
                    "outstanding": round_money(invoice.outstanding, invoice.currency),
                }
                for invoice in invoices
            ]
        for row in rows:
            if amounts and row["invoice"].pk in amounts:
                row["amount"] = amounts[row["invoice"].pk]
        return rows

    def render_page(self, line, status=200, *, amounts=None, error=None, ignore_form=None):
        request = self.request
        picked = _picked(request)
        chosen = self.chosen(line, picked, amounts) if line.is_open else []
        query = (request.GET.get("q") or "").strip()[:100]
        results = []
        if line.is_open and line.is_credit and query:
            chosen_ids = {row["invoice"].pk for row in chosen}
            results = [
                {
                    "invoice": invoice,
                    "add_url": "?"
                    + urlencode([("pick", pk) for pk in [*(picked or chosen_ids), invoice.pk]]),
                }
                for invoice in bank_selectors.search_open_invoices(query, currency=line.currency)
                if invoice.pk not in chosen_ids
            ]
        for row in chosen:
            others = [r["invoice"].pk for r in chosen if r["invoice"].pk != row["invoice"].pk]
            row["remove_url"] = "?" + urlencode([("pick", pk) for pk in others] or [("pick", 0)])
        total = sum((row["amount"] for row in chosen), Decimal(0))
        return render(
            request,
            self.template_name,
            {
                "line": line,
                "chosen": chosen,
                "picked": picked,
                "total": total,
                "left": line.amount - total,
                "account": chosen[0]["invoice"].billing_account if chosen else None,
                "query": query,
                "results": results,
                "searched": bool(query),
                "error": error,
                "ignore_form": ignore_form or IgnoreLineForm(),
            },
            status=status,
        )

    def post(self, request, pk):
        line = access.get_bank_line_for_write(request, pk)
        action = request.POST.get("action")
        act = {"tenant": request.tenant, "by": request.user, "line": line}
        amounts = {}
        try:
            if action == "ignore":
                form = IgnoreLineForm(request.POST)
                if not form.is_valid():
                    return self.render_page(line, 422, ignore_form=form)
                services.line_ignore(**act, reason=form.cleaned_data["reason"])
                messages.success(request, gettext("Line marked “not a customer payment”."))
            elif action == "rematch":
                found = services.line_rematch(**act)
                messages.info(
                    request, "A match was found." if found else "Still no match: choose one."
                )
                return redirect(line)
            elif action == "account":
                if line.proposed_account is None:
                    raise ValidationError(gettext("No account is proposed: choose an invoice."))
                services.line_confirm(**act, billing_account=line.proposed_account)
                messages.success(
                    request,
                    (
                        gettext(
                            "Payment recorded: %(line)s left on %(proposed_account_name)s's "
                            "account."
                        )
                        % {
                            "line": _shown(line),
                            "proposed_account_name": line.proposed_account.name,
                        }
                    ),
                )
            elif action == "confirm":
                amounts = self.posted_amounts(request)
                invoices = bank_selectors.invoices_by_ids(list(amounts), currency=line.currency)
                if len(invoices) != len(amounts):
                    raise ValidationError(
                        gettext("One of the chosen invoices is no longer open: choose again.")
                    )
                parts = [(invoice, amounts[invoice.pk]) for invoice in invoices]
                parts = [(invoice, amount) for invoice, amount in parts if amount > 0]
                payment = services.line_confirm(**act, parts=parts)
                messages.success(
                    request,
                    gettext("Payment of %(line)s recorded from %(billing_account_name)s.")
                    % {"line": _shown(line), "billing_account_name": payment.billing_account.name},
                )
            else:
                raise ValidationError(gettext("Choose what to do with the line."))
        except ValidationError as error:
            return self.render_page(line, 422, amounts=amounts, error=" ".join(error.messages))
        return redirect(_url(request, "bank-review"))

    def posted_amounts(self, request) -> dict[int, Decimal]:
        amounts = {}
        for pk in _picked(request):
            text = (request.POST.get(f"amount_{pk}") or "0").strip()[:20]
            try:
                amount = Decimal(text.replace(",", ""))
            except InvalidOperation:
                raise ValidationError(
                    gettext("“%(text)s” is not an amount: enter a number.") % {"text": text}
                ) from None
            if not amount.is_finite() or amount < 0 or amount >= Decimal("1e11"):
                raise ValidationError(gettext("Enter amounts of zero or more."))
            amounts[pk] = amount
        if not any(amounts.values()):
            raise ValidationError(gettext("Choose the invoice (or invoices) this line pays."))
        return amounts
