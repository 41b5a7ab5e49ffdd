"""The maximum billing amount: the one check that drafting, issuing, deposits and credit notes
make (`invoicing.selectors.cap_room` says what is billed and what is left)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from invoicing.models import Invoice
from invoicing.selectors import cap_room
from projects.models import Project


def _listed(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def check_max_billing(
    project: Project,
    adding: Decimal,
    *,
    exclude: Invoice | None = None,
    pending: Decimal = Decimal(0),
    drafts: bool = True,
    deposit: bool = False,
    deducted: Decimal = Decimal(0),
) -> None:
    """Refuse a document that would bill the project past its maximum amount.

    `adding` is what the document adds to what the customer is billed (`CapRoom`): a work
    invoice's net, its work less what it deducts of deposits (`deducted`, said in the
    message), or a `deposit`'s amount. A document that adds nothing is never refused. Billed
    is what is invoiced and on deposits not deducted yet, plus, when a draft is made or
    changed (`drafts`), what is on the other drafts (`exclude`: the one changed); `pending`
    is what the same batch adds before this document (drafted, or issued, with it).
    """
    cap = project.max_billing_amount
    if cap is None or adding <= 0:
        return
    room = cap_room(project, drafts=drafts, exclude=exclude)
    left = room.left - pending
    if adding <= left:
        return
    parts = [f"{room.invoiced:,.2f} is invoiced"]
    on_drafts = room.on_drafts + (pending if drafts else Decimal(0))
    if on_drafts:
        parts.append(f"{on_drafts:,.2f} is on drafts")
    if room.unused:
        parts.append(f"{room.unused:,.2f} is on deposits not deducted yet")
    if pending and not drafts:
        parts.append(f"{pending:,.2f} is on the invoices issued with it")
    billed = f"{project.code} may be billed at most {cap:,.2f} {project.currency}; {_listed(parts)}"
    room_left = max(left, Decimal(0))
    if deposit:
        raise ValidationError(
            gettext(
                "%(billed)s, so a deposit may come to at most %(room_left)s and this one comes to "
                "%(adding)s."
            )
            % {
                "billed": billed,
                "room_left": format(room_left, ",.2f"),
                "adding": format(adding, ",.2f"),
            }
        )
    less = (
        f" ({adding + deducted:,.2f} of work less {deducted:,.2f} of deposits deducted)"
        if deducted
        else ""
    )
    raise ValidationError(
        gettext(
            "%(billed)s, so %(room_left)s is left and this invoice comes to %(adding)s%(less)s."
        )
        % {
            "billed": billed,
            "room_left": format(room_left, ",.2f"),
            "adding": format(adding, ",.2f"),
            "less": less,
        }
    )
