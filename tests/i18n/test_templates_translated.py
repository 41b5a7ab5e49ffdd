"""Every word a template shows is marked for translation (issue 17).

The checker strips what is not visible text (comments, template tags and variables, the insides
of translation blocks, scripts and styles, HTML tags, entities) and fails on any letter left,
naming the template and the words. Attributes a person reads (title, placeholder, aria-label,
alt, confirmations) are checked the same way. New templates cannot slip: mark their text with
{% translate %} / {% blocktranslate %}; `tools/mark_template_strings.py` does it for a file.
"""

import pathlib
import re

import pytest

TEMPLATES = pathlib.Path(__file__).resolve().parents[2] / "templates"

# Text that is the same in every language, kept short on purpose: add to it only a word that
# no language would translate (a product name, a format's name), never a sentence.
ALLOWED = {
    "PDF",
    "CSV",
    "XLSX",
    "XML",
    "UBL",
    "IBAN",
    "BIC",
    "Factur-X",
    "Peppol",
}
# A plain-text e-mail is not HTML: it is wholly inside translation tags or checked by its test.
SKIPPED = {"registration/password_reset_email.html"}

BLOCKS = re.compile(
    r"\{%\s*(comment|blocktranslate|blocktrans|verbatim)\b.*?%\}.*?\{%\s*end\1\s*%\}"
    r"|<(script|style)\b.*?</\2\s*>",
    re.S,
)
TEMPLATE_SYNTAX = re.compile(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}|<!--.*?-->", re.S)
READABLE_ATTRIBUTE = re.compile(
    r"""\s(?:title|placeholder|aria-label|alt|hx-confirm|data-confirm)=("[^"]*"|'[^']*')"""
)
HTML_TAG = re.compile(r"<[^>]*>", re.S)
ENTITY = re.compile(r"&#?\w+;")
WORD = re.compile(r"[^\W\d_][\w'’.-]*")


# A label-like argument of {% include %} / {% with %} given as a literal sentence.
LITERAL_ARGUMENT = re.compile(
    r"""\{%\s*(?:include|with)\b[^%]*?\s(?:title|label|subtitle|breadcrumb_label|unit|"""
    r"""empty_text|placeholder|heading|message|button|help_text)=("[^"]*"|'[^']*')"""
)


def untranslated(source: str) -> list[str]:
    """The words of `source` that a page would show without translation."""
    text = BLOCKS.sub(" ", source)
    chunks = [value[1:-1] for value in LITERAL_ARGUMENT.findall(text)]
    # Template syntax out first: an attribute may hold {% translate "…" %} in its quotes.
    text = TEMPLATE_SYNTAX.sub(" ", text)
    for tag in HTML_TAG.findall(text):
        chunks += [value[1:-1] for value in READABLE_ATTRIBUTE.findall(tag)]
    chunks.append(HTML_TAG.sub(" ", text))
    found = []
    for chunk in chunks:
        found += [word for word in WORD.findall(ENTITY.sub(" ", chunk)) if word not in ALLOWED]
    return found


def _templates():
    return sorted(
        path
        for path in TEMPLATES.rglob("*.html")
        if str(path.relative_to(TEMPLATES)) not in SKIPPED
    )


def test_every_template_marks_its_visible_text_for_translation():
    offenders = {}
    for path in _templates():
        words = untranslated(path.read_text())
        if words:
            offenders[str(path.relative_to(TEMPLATES))] = " ".join(words)[:200]
    assert not offenders, "Text outside translation tags:\n" + "\n".join(
        f"  {name}: {words}" for name, words in offenders.items()
    )


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("<p>Save changes</p>", ["Save", "changes"]),
        ('<p>{% translate "Save changes" %}</p>', []),
        ("<p>{% blocktranslate %}Hello {{ name }}{% endblocktranslate %}</p>", []),
        ('<a title="Open it" href="#">{{ x }}</a>', ["Open", "it"]),
        ("<a title=\"{% translate 'Open it' %}\">{{ x }}</a>", []),
        ("<script>let hidden = 1;</script>{# a comment #}<!-- html comment -->", []),
        ("<p>&nbsp;&middot; 12 % {{ total }} PDF</p>", []),
        ("{% include 'x.html' with title='Hi there' %}", ["Hi", "there"]),
        ('{% include "x.html" with title=_("Hi there") kind="primary" %}', []),
    ],
)
def test_the_checker_finds_what_a_page_shows(source, words):
    assert untranslated(source) == words
