"""Learners typed or pasted on the registration form, and named in a registrations import: who
they are (`parse_learners`: one per line, as people type them or as a spreadsheet copies them),
and the customer's contacts they are (`learners_find_or_add`: the same e-mail is the same person,
whatever its case; anyone else is added as a contact of the project's customer).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext

from accounts import services as account_services
from accounts.models import Contact
from projects.models import Project

MAX_LINES = 200
HEADER_WORDS = {"first name", "first", "last name", "last", "name", "email", "e-mail", "mail"}
ANGLE = re.compile(r"^(?P<name>.*?)\s*<(?P<email>[^<>\s]+)>\s*$")


@dataclass(frozen=True)
class NewLearner:
    first_name: str
    last_name: str
    email: str
    line: int  # where it was typed, for messages

    @property
    def label(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return f"{name} <{self.email}>" if self.email and name else (name or self.email)


def parse_learners(text: str) -> list[NewLearner]:
    """One learner per line: "Ada Lovelace <ada@example.com>", "Ada Lovelace, ada@example.com",
    "ada@example.com" (a contact already), or cells copied from a spreadsheet (first name, last
    name, e-mail; or name, e-mail). A header row is skipped; a bad line is refused with its
    number and what to change, and nothing is added."""
    lines = (text or "").splitlines()
    if len([line for line in lines if line.strip()]) > MAX_LINES:
        raise ValidationError(
            gettext(
                "At most %(MAX_LINES)s learners at once: add the rest in a second round, or import "
                "them from a file."
            )
            % {"MAX_LINES": MAX_LINES}
        )
    learners, errors = [], []
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        cells = _cells(line)
        if {cell.strip().lower() for cell in cells} & HEADER_WORDS and not any(
            "@" in cell for cell in cells
        ):
            continue  # a spreadsheet's header row
        try:
            learners.append(_learner(cells, number))
        except ValidationError as error:
            errors.append(f"Line {number} (“{line[:60]}”): {error.messages[0]}")
    if errors:
        raise ValidationError(errors)
    return learners


def _cells(line: str) -> list[str]:
    angle = ANGLE.match(line)
    if angle:
        return [angle["name"], angle["email"]]
    for separator in ("\t", ";", ","):
        if separator in line:
            return [cell.strip() for cell in line.split(separator) if cell.strip()]
    return [line]


def _learner(cells: Sequence[str], number: int) -> NewLearner:
    emails = [cell for cell in cells if "@" in cell]
    names = [cell for cell in cells if "@" not in cell]
    if len(emails) > 1:
        raise ValidationError(gettext("two e-mail addresses: one learner per line."))
    email = emails[0].strip().strip("<>").lower() if emails else ""
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError(
                gettext("“%(email)s” is not an e-mail address.") % {"email": email}
            ) from None
    if len(names) >= 2:
        first, last = names[0], " ".join(names[1:])
    elif names:
        parts = names[0].split()
        first, last = (parts[0], " ".join(parts[1:])) if len(parts) > 1 else (parts[0], "")
    else:
        first = last = ""
    if not email and not (first and last):
        raise ValidationError(gettext("give a first and a last name, or an e-mail address."))
    if len(first) > 100 or len(last) > 100 or len(email) > 254:
        raise ValidationError(gettext("a name or e-mail address is too long."))
    return NewLearner(first_name=first, last_name=last, email=email, line=number)


def learners_find_or_add(
    *, tenant, by, project: Project, learners: Iterable[NewLearner]
) -> list[Contact]:
    """The contacts the learners are, in their order and once each: a contact of the customer
    (or of an account below it) with the same e-mail, whatever its case; else a new contact of
    the customer (a learner without an e-mail who is not one is refused). Call it inside the
    transaction that registers them, so nothing is added when the registering is refused."""
    from projects.services.rows import learner_accounts  # rows registers with these contacts

    accounts = learner_accounts(project)
    learners = list(learners)
    emails = {learner.email for learner in learners if learner.email}
    known = {
        contact.email.lower(): contact
        for contact in Contact.objects.filter(account_id__in=accounts).exclude(email="")
        if contact.email.lower() in emails
    }
    found: list[Contact] = []
    for learner in learners:
        contact = known.get(learner.email) if learner.email else _by_name(accounts, learner)
        if contact is None:
            if not (learner.first_name and learner.last_name):
                raise ValidationError(
                    gettext(
                        "Line %(line)s: %(email)s is not a contact of %(account_name)s: give the "
                        "learner's first and last name to add them."
                    )
                    % {
                        "line": learner.line,
                        "email": learner.email,
                        "account_name": project.account.name,
                    }
                )
            contact = account_services.contact_save(
                tenant=tenant,
                by=by,
                contact=Contact(
                    account=project.account,
                    first_name=learner.first_name,
                    last_name=learner.last_name,
                    email=learner.email,
                ),
            )
            if learner.email:
                known[learner.email] = contact
        if contact not in found:
            found.append(contact)
    return found


def _by_name(accounts, learner: NewLearner) -> Contact | None:
    """A learner typed without an e-mail is the customer's contact of that name, if exactly one."""
    namesakes = list(
        Contact.objects.filter(
            account_id__in=accounts,
            first_name__iexact=learner.first_name,
            last_name__iexact=learner.last_name,
        )[:2]
    )
    return namesakes[0] if len(namesakes) == 1 else None
