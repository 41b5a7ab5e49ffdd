"""Invoice PDFs with WeasyPrint, rendered from the invoice's frozen snapshot alone.

WeasyPrint's default URL fetcher reads file:// URLs and follows redirects, so a note or an
account name with HTML in it could pull a local file into the PDF. Every URL goes through
`SafeFetcher`, which allows only `data:` URIs; the stylesheet and fonts are loaded once per
worker process, not per invoice.

Bidirectional-text controls (U+202A to U+202E, U+2066 to U+2069) in a name, note or line text are
replaced with U+FFFD before layout: a right-to-left override could otherwise make a printed
reference, IBAN or amount read differently from what is stored.
"""

import functools
import re

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from accounts.platform.collector import fewer_collections
from accounts.platform.exporting import defuse_bidi
from accounts.platform.languages import account_language
from invoicing import totals as money
from invoicing.languages import in_document_language
from projects.models import Project

STYLESHEET = """
@page { size: A4; margin: 18mm 16mm 20mm 16mm;
  @bottom-right { content: PAGE_COUNTER;
                  font-family: "DejaVu Sans", sans-serif; font-size: 7.5pt; color: #555; } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 8.5pt; color: #1d2433; }
h1 { font-size: 16pt; margin: 0 0 2mm; }
.seller { float: right; text-align: right; width: 70mm; font-size: 8pt; }
.seller strong { font-size: 10pt; }
.seller .legal { margin-top: 1.5mm; color: #333; font-size: 7.5pt; }
.logo { max-height: 16mm; max-width: 50mm; }
.recipient { margin-top: 8mm; width: 90mm; min-height: 28mm; }
.recipient .label { color: #555; font-size: 7pt; text-transform: uppercase;
                    letter-spacing: 0.3pt; margin-bottom: 0.8mm; }
/* Every table has a fixed layout and set widths: WeasyPrint then lays each row out once
   instead of measuring every cell first (a ten-page table got 3x faster, one page 10 %). */
.meta { margin: 6mm 0 4mm; table-layout: fixed; width: 110mm; border-spacing: 0; }
.meta td { padding: 0.6mm 6mm 0.6mm 0; }
.meta td:first-child { color: #555; width: 32mm; }
table.lines { width: 100%; table-layout: fixed; border-spacing: 0; margin-top: 2mm; }
table.lines th { text-align: left; font-weight: bold; border-bottom: 0.6pt solid #1d2433;
                 padding: 1.2mm 1mm; }
table.lines th.num { text-align: right; }
table.lines td { padding: 1.1mm 1mm; vertical-align: top; }
table.lines tr { break-inside: avoid; }
table.lines tr.group td { font-weight: bold; background: #f0f2f6; border-bottom: none; }
.num { text-align: right; white-space: nowrap; }
.totals { margin-left: auto; margin-top: 4mm; border-spacing: 0; table-layout: fixed;
          width: 100mm; }
.totals td { padding: 0.8mm 0 0.8mm 8mm; }
.totals td.num { width: 30mm; }
.totals tr.gross td { font-weight: bold; border-top: 0.6pt solid #1d2433; font-size: 10pt; }
.tax-notes { margin: 3mm 0 0 auto; width: 100mm; font-size: 7.5pt; break-inside: avoid; }
.tax-notes p { margin: 0 0 0.8mm 8mm; }
.notes { margin-top: 6mm; break-inside: avoid; }
.payment { table-layout: fixed; width: 120mm; border-spacing: 0; margin-top: 2mm;
           border-top: 0.6pt solid #c9ced8; }
.payment td { padding: 0.7mm 4mm 0.7mm 0; }
.payment td:first-child { color: #555; width: 32mm; }
.code { font-family: "DejaVu Sans Mono", monospace; }
.small { color: #555; font-size: 7.5pt; }
"""


class SafeFetcher(URLFetcher):
    """Loads `data:` URIs only: no files, no network, no redirects. Remembers what it refused."""

    def __init__(self):
        super().__init__(allowed_protocols={"data"}, allow_redirects=False, timeout=2)
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        if not url.startswith("data:"):
            self.refused.append(url)
            raise ValueError(f"Invoice PDFs load nothing from outside: refused {url[:80]!r}")
        return super().fetch(url, headers)


def _resources():
    """The fonts and the stylesheet for the active language (its footer's "Page 1 of 2")."""
    return _resources_for(_page_counter(gettext("Page %(page)s of %(pages)s")))


@functools.cache
def _resources_for(page_counter: str):
    fonts = FontConfiguration()
    stylesheet = STYLESHEET.replace("PAGE_COUNTER", page_counter)
    return fonts, CSS(string=stylesheet, font_config=fonts, url_fetcher=SafeFetcher())


def _page_counter(text: str) -> str:
    """A translated "Page %(page)s of %(pages)s" as CSS `content`: its words as strings, the
    placeholders as the page counters."""
    parts = []
    for piece in re.split(r"(%\((?:page|pages)\)s)", text):
        if piece in ("%(page)s", "%(pages)s"):
            parts.append(f"counter({piece[2:-2]})")
        elif piece:
            escaped = piece.replace("\\", "\\\\").replace('"', '\\"')
            parts.append(f'"{escaped}"')
    return " ".join(parts) or '""'


def render_invoice_pdf(
    invoice, lines=None, logo_data_uri: str = "", fetcher: SafeFetcher | None = None
) -> bytes:
    """The stored PDF: a PDF/A-3b that, for an issued invoice or credit note, carries its
    EN 16931 invoice (the Factur-X CII, `invoicing.einvoice`) as an embedded file. A document
    that cannot have one (a draft, a currency with three decimals, no company country: see
    `einvoice.document`) is the plain PDF/A-3b."""
    from invoicing import einvoice  # only this function of the module needs it

    lines = list(lines if lines is not None else invoice.lines.all())
    # WeasyPrint allocates hundreds of thousands of short-lived objects per invoice: at the
    # default threshold the collector's passes were a fifth of a ten-page invoice's time.
    with fewer_collections():
        pdf = render_document(invoice, lines, logo_data_uri, fetcher).write_pdf(
            pdf_variant="pdf/a-3b"
        )
    try:
        return einvoice.embed_facturx(pdf, invoice, lines)
    except einvoice.EInvoiceUnavailable:
        return pdf


def render_document(
    invoice, lines=None, logo_data_uri: str = "", fetcher: SafeFetcher | None = None
):
    """The laid-out WeasyPrint document (its `.pages`), before it is written as PDF."""
    with in_document_language(invoice):
        fonts, stylesheet = _resources()
        html = invoice_html(invoice, lines, logo_data_uri)
        document = HTML(string=html, url_fetcher=fetcher or SafeFetcher(), base_url=None)
        return document.render(stylesheets=[stylesheet], font_config=fonts)


# Lines without an event: items and fees under one title; these under their own (or none).
GROUP_TITLES = {
    "handling_fee": "",
    "deposit": pgettext_lazy("invoice group", "Deposit"),
    "deduction": _("Deposits deducted"),
}


def invoice_html(invoice, lines=None, logo_data_uri: str = "") -> str:
    """The invoice as the HTML that WeasyPrint lays out: lines grouped by event, the parties
    and the bank account as frozen at issue."""
    with in_document_language(invoice):
        return _invoice_html(invoice, lines, logo_data_uri)


def _invoice_html(invoice, lines, logo_data_uri: str) -> str:
    lines = list(lines if lines is not None else invoice.lines.all())
    groups = []
    for line in lines:
        title = line.event_title or str(GROUP_TITLES.get(line.kind, _("Items and fees")))
        if not groups or groups[-1][0] != title:
            groups.append((title, []))
        groups[-1][1].append(line)
    result = money.compute(lines, invoice.currency)
    html = render_to_string(
        "invoicing/pdf/invoice.html",
        {
            "invoice": invoice,
            "line_projects": _line_projects(invoice, lines),
            "is_credit": invoice.kind == "credit_note",
            "groups": groups,
            "bands": result.bands,
            # One rate: the tax summary says it all, and a column of the same code on every
            # line costs a text box per line to lay out and draw.
            "per_line_tax": len(result.bands) > 1,
            "tax_notes": [note for note in (invoice.tax_notes or "").splitlines() if note.strip()],
            "payment": _payment(invoice.payment_details),
            "logo": logo_data_uri,
        },
    )
    # The template holds no bidi control of its own: any in the HTML came from the data.
    return defuse_bidi(html)


def _line_projects(invoice, lines) -> list:
    """The projects of an invoice of several (one billing account), for its header: empty for
    one project (the header names it). One query, and only for an invoice of several."""
    ids = {line.project_id for line in lines if line.project_id}
    if len(ids) < 2:
        return []
    return list(Project.objects.filter(pk__in=ids).order_by("code"))


def _payment(details) -> dict:
    """The frozen bank account as printed: the IBAN in groups of four, the local bank code
    named as its country calls it."""
    if not details:
        return {}
    iban = details.get("iban") or ""
    sort_code = details.get("sort_code") or ""
    digits = "".join(ch for ch in sort_code if ch.isdigit())
    if len(digits) == 6 and len(digits) == len(sort_code.replace("-", "").replace(" ", "")):
        label = gettext("Sort code")
    elif len(digits) == 9 and digits == sort_code.strip():
        label = gettext("Routing number")
    else:
        label = gettext("Bank code")
    return {
        **details,
        "iban_grouped": " ".join(iban[i : i + 4] for i in range(0, len(iban), 4)),
        "sort_code_label": label,
    }


def render_statement_pdf(statements, *, tenant, account, date_from, date_to, logo_data_uri=""):
    """A billing account's statement of a period (one section per currency) as a PDF, laid out
    with the invoice's stylesheet and fonts and loading nothing from outside (`SafeFetcher`), in
    the account's language."""
    with translation.override(account_language(account, tenant)):
        return _statement_pdf(statements, tenant, account, date_from, date_to, logo_data_uri)


def _statement_pdf(statements, tenant, account, date_from, date_to, logo_data_uri):
    fonts, stylesheet = _resources()
    html = defuse_bidi(
        render_to_string(
            "invoicing/pdf/statement.html",
            {
                "statements": statements,
                "tenant": tenant,
                "account": account,
                "date_from": date_from,
                "date_to": date_to,
                "logo": logo_data_uri,
            },
        )
    )
    with fewer_collections():
        document = HTML(string=html, url_fetcher=SafeFetcher(), base_url=None)
        return document.render(stylesheets=[stylesheet], font_config=fonts).write_pdf()
