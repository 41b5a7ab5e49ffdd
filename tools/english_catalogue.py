"""Writes locale/en_GB/LC_MESSAGES/django.po: every message of the German catalogue, translated
into itself (issue 18). `make compile-messages` runs it, then compiles both catalogues.

    .venv/bin/python tools/english_catalogue.py          # write it
    .venv/bin/python tools/english_catalogue.py --check  # exit 1 when it is out of date

Why: British English is the source language, so it had no catalogue of ours, and a lookup of
one of our strings missed Django's merged English catalogue and then walked the six English
fallback catalogues Django chains behind it (ticket 29144) before giving the string back:
about 16 µs a string, a hundred strings a page. Found in the first catalogue, it takes 6 µs.
Nothing a user reads changes: a message Django's own British catalogues translate otherwise
(a spelling) is left out, so theirs still wins; a message missing here is still found the slow
way. tests/i18n/test_languages.py checks the file is current and changes no text.
"""

import argparse
import datetime
import gettext
import io
import os
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
GERMAN = ROOT / "locale/de/LC_MESSAGES/django.po"
ENGLISH = ROOT / "locale/en_GB/LC_MESSAGES/django.po"
# A fixed date: the file changes only when the messages do.
DATE = datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC)


def djangos_own_english() -> gettext.NullTranslations:
    """Django's and the installed apps' British catalogues, without the project's own."""
    import django
    from django.apps import apps

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    directories = [Path(django.__file__).parent / "conf/locale"]
    directories += [Path(app.path) / "locale" for app in apps.get_app_configs()]
    chain = gettext.NullTranslations()
    for directory in directories:
        if directory.resolve() == (ROOT / "locale").resolve() or not directory.is_dir():
            continue
        found = gettext.translation("django", directory, ["en_GB"], fallback=True)
        if type(found) is not gettext.NullTranslations:
            found.add_fallback(chain)
            chain = found
    return chain


def english_catalogue() -> bytes:
    german = read_po(GERMAN.open("rb"))
    theirs = djangos_own_english()
    english = Catalog(
        locale="en_GB",
        domain="django",
        project="frameworks",
        creation_date=DATE,
        revision_date=DATE,
        fuzzy=False,
    )
    for message in german:
        if not message.id:
            continue
        if message.pluralizable:
            singular, plural = message.id
            kept = theirs.ngettext(singular, plural, 1) == singular
            kept = kept and theirs.ngettext(singular, plural, 2) == plural
        else:
            kept = theirs.gettext(message.id) == message.id
        if kept and not message.context:
            english.add(message.id, string=message.id)
    out = io.BytesIO()
    write_po(out, english, width=100, omit_header=False, sort_output=True)
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only say whether it is current")
    wanted = english_catalogue()
    if parser.parse_args().check:
        if not ENGLISH.exists() or ENGLISH.read_bytes() != wanted:
            print(f"{ENGLISH.relative_to(ROOT)} is out of date: run make compile-messages")
            return 1
        return 0
    # Written only when it changes: `make test` and `make test-postgres` compile side by side.
    if not ENGLISH.exists() or ENGLISH.read_bytes() != wanted:
        ENGLISH.parent.mkdir(parents=True, exist_ok=True)
        ENGLISH.write_bytes(wanted)
    return 0


if __name__ == "__main__":
    sys.exit(main())
