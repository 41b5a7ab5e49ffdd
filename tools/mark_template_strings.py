"""Marks the visible English of Django templates for translation (issue 17).

    .venv/bin/python tools/mark_template_strings.py templates/accounts/*.html

Text between tags becomes `{% translate "…" %}`, or `{% blocktranslate with a=b %}…{{ a }}…
{% endblocktranslate %}` where it holds variables; `title`, `placeholder`, `aria-label`, `alt`
and confirmation attributes are marked the same way; string arguments of `{% include %}` and
`{% with %}` named like labels (`title="…"`, `label="…"`) become `_("…")`. Script and style
blocks, comments and text already inside translation tags are left alone, so the script can be
run again over a template edited since (a merge) and changes only what is new. It prints what it
could not mark (an attribute mixing text and variables): mark those by hand. The checker
`tests/i18n/test_templates_translated.py` finds anything left.
"""

import re
import sys
from pathlib import Path

TOKEN = re.compile(
    r"""(?P<comment>\{\#.*?\#\}|<!--.*?-->)
      |(?P<ttag>\{%.*?%\})
      |(?P<var>\{\{.*?\}\})
      |(?P<html></?[a-zA-Z!](?:\{%.*?%\}|\{\{.*?\}\}|"[^"]*"|'[^']*'|[^>"'])*>)
    """,
    re.S | re.X,
)
LETTER = re.compile(r"[^\W\d_]")
ENTITY = re.compile(r"&#?\w+;")
ATTRIBUTES = ("title", "placeholder", "aria-label", "alt", "hx-confirm", "data-confirm")
ATTRIBUTE = re.compile(r"""(\s(?:{})=)"([^"]*)\"""".format("|".join(ATTRIBUTES)))
TAG_ARGS = (
    "title",
    "label",
    "subtitle",
    "breadcrumb_label",
    "unit",
    "empty_text",
    "placeholder",
    "heading",
    "message",
    "button",
    "confirm_label",
    "help_text",
)
TAG_ARG = re.compile(r"""(\s(?:{})=)"([^"{{}}%]*)\"""".format("|".join(TAG_ARGS)))
SKIP_OPEN = {"script", "style", "pre"}
BLOCK_SKIP = {"comment": "endcomment", "blocktranslate": "endblocktranslate",
              "blocktrans": "endblocktrans", "verbatim": "endverbatim"}  # fmt: skip
VAR_NAME = re.compile(r"[A-Za-z_][\w.]*")

problems: list[str] = []


def has_words(text: str) -> bool:
    return bool(LETTER.search(ENTITY.sub("", text)))


def quote(text: str) -> str | None:
    if '"' not in text:
        return f'"{text}"'
    if "'" not in text:
        return f"'{text}'"
    return None


def translate_text(text: str) -> str:
    """A run of text (no variables) as a translate tag, its surrounding space kept."""
    stripped = text.strip()
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    msgid = " ".join(stripped.split())
    quoted = quote(msgid)
    if quoted is None:
        return f"{lead}{{% blocktranslate trimmed %}}{msgid}{{% endblocktranslate %}}{trail}"
    return f"{lead}{{% translate {quoted} %}}{trail}"


def var_name(expression: str, taken: dict[str, str]) -> str:
    base = expression.split("|")[0].strip()
    parts = [p for p in base.split(".") if p and not p.isdigit()] or ["value"]
    for size in range(1, len(parts) + 1):
        name = "_".join(parts[-size:])
        name = re.sub(r"\W", "_", name)
        if name in ("count", "plural", "context", "asvar", "trimmed", "with", "and"):
            name = f"{name}_value"
        if taken.get(name, expression) == expression:
            return name
    index = 2
    while f"{name}{index}" in taken:
        index += 1
    return f"{name}{index}"


def translate_run(parts: list[tuple[str, str]]) -> str:
    """A run of text and variables; marked when its text has words."""
    text = "".join(value for kind, value in parts if kind == "text")
    if not has_words(text):
        return "".join(value for _kind, value in parts)
    if all(kind == "text" for kind, _v in parts):
        return translate_text(text)
    # The variables are part of the sentence (a translation may move them); only the outer
    # whitespace stays outside the tag.
    whole = "".join(value for _k, value in parts)
    lead = whole[: len(whole) - len(whole.lstrip())]
    trail = whole[len(whole.rstrip()) :]
    taken: dict[str, str] = {}
    body = []
    for kind, value in parts:
        if kind == "text":
            body.append(value)
        else:
            expression = value[2:-2].strip()
            if not VAR_NAME.match(expression):
                return whole  # a literal or odd expression: leave it to a person
            name = var_name(expression, taken)
            taken[name] = expression
            body.append(f"{{{{ {name} }}}}")
    inner = "".join(body).strip()
    multiline = "\n" in inner
    inner = " ".join(inner.split())
    # A plain context variable needs no `with`: the sentence names it as it is.
    args = " ".join(f"{name}={expr}" for name, expr in taken.items() if name != expr)
    options = (f" with {args}" if args else "") + (" trimmed" if multiline else "")
    return f"{lead}{{% blocktranslate{options} %}}{inner}{{% endblocktranslate %}}{trail}"


def mark_attributes(tag: str, where: str) -> str:
    def replace(match):
        prefix, value = match.groups()
        if not has_words(value) or ("{%" in value and "translate" in value):
            return match.group(0)
        if "{{" in value and "{%" not in value:
            parts = [
                ("var" if piece.startswith("{{") else "text", piece)
                for piece in re.split(r"(\{\{.*?\}\})", value)
                if piece
            ]
            marked = translate_run(parts)
            if marked != value:
                return f'{prefix}"{marked}"'
        if "{{" in value or "{%" in value:
            problems.append(f"{where}: attribute to mark by hand: {match.group(0).strip()}")
            return match.group(0)
        msgid = " ".join(value.split())
        return f'{prefix}"{{% translate {quote_single(msgid)} %}}"'

    return ATTRIBUTE.sub(replace, tag)


def quote_single(text: str) -> str:
    return f"'{text}'" if "'" not in text else '"' + text.replace('"', "&quot;") + '"'


def mark_tag_args(tag: str) -> str:
    name = tag[2:-2].split()[0] if tag[2:-2].split() else ""
    if name not in ("include", "with"):
        return tag

    def replace(match):
        prefix, value = match.groups()
        if not has_words(value) or value.strip() != value or "_(" in value:
            return match.group(0)
        if re.fullmatch(r"[a-z0-9_.:-]+", value):  # a key, a url name, a css class
            return match.group(0)
        return f'{prefix}_("{value}")'

    return TAG_ARG.sub(replace, tag)


def mark(source: str, where: str = "") -> str:
    out: list[str] = []
    run: list[tuple[str, str]] = []
    skip_until: str | None = None  # closing html tag or template tag name
    position = 0

    def flush():
        if run:
            out.append(translate_run(run))
            run.clear()

    def emit_raw(value):
        flush()
        out.append(value)

    for match in TOKEN.finditer(source):
        text = source[position : match.start()]
        position = match.end()
        token = match.group(0)
        kind = match.lastgroup
        if skip_until:
            out.append(text)
            out.append(token)
            if (kind == "ttag" and token[2:-2].split()[:1] == [skip_until]) or (
                kind == "html" and token.lower().startswith(f"</{skip_until}")
            ):
                skip_until = None
            continue
        if text:
            run.append(("text", text))
        if kind == "var":
            run.append(("var", token))
            continue
        if kind == "comment":
            emit_raw(token)
            continue
        if kind == "ttag":
            words = token[2:-2].split()
            tag_name = words[0] if words else ""
            if tag_name in BLOCK_SKIP:
                skip_until = BLOCK_SKIP[tag_name]
            emit_raw(mark_tag_args(token))
            continue
        # an html tag
        emit_raw(mark_attributes(token, where))
        name = re.match(r"<([a-zA-Z0-9]+)", token)
        if name and name.group(1).lower() in SKIP_OPEN and not token.endswith("/>"):
            skip_until = name.group(1).lower()
    rest = source[position:]
    if skip_until:
        out.append(rest)
    else:
        if rest:
            run.append(("text", rest))
        flush()
    result = "".join(out)
    if (
        result != source
        and "{% load i18n %}" not in result
        and not re.search(r"\{%\s*load\s+[^%]*\bi18n\b", result)
    ):
        result = add_load(result)
    return result


def add_load(source: str) -> str:
    """`{% load i18n %}` after `{% extends %}` (which must come first), else at the top."""
    extends = re.match(r"\s*\{%\s*extends[^%]*%\}\n?", source)
    if extends:
        end = extends.end()
        head = source[:end] if source[:end].endswith("\n") else source[:end] + "\n"
        return head + "{% load i18n %}\n" + source[end:].lstrip("\n")
    return "{% load i18n %}\n" + source


MAX_LINE = 120  # djLint's (pyproject.toml)
MARKED = re.compile(
    r"""\{%\s*translate\s+(?P<q>["'])(?P<text>.*?)(?P=q)\s*%\}
      |\{%\s*blocktranslate(?P<options>[^%]*?)\s*%\}(?P<body>.*?)\{%\s*endblocktranslate\s*%\}""",
    re.X,
)


def wrap_long_lines(source: str) -> str:
    """Lines over djLint's limit with a marked sentence in them get the sentence on lines of its
    own inside `{% blocktranslate trimmed %}`: trimming joins them again, so the page (and the
    message id) is what it was, with no space added beside the tags."""
    out = []
    for line in source.split("\n"):
        out.extend(_wrap(line))
    return "\n".join(out)


def _wrap(line: str) -> list[str]:
    if len(line) <= MAX_LINE:
        return [line]
    indent = line[: len(line) - len(line.lstrip())]
    for match in MARKED.finditer(line):
        if match.group("text") is not None:
            options, body = "", match.group("text").replace("%", "%%")
            if "{" in body:
                continue
        else:
            options, body = match.group("options"), match.group("body")
        options = options.replace(" trimmed", "")
        # Words, a variable with its punctuation counting as one ("{{ name }}," stays whole).
        words = re.findall(r"(?:\{\{.*?\}\}|\{(?!\{)|[^\s{])+", body)
        if len(words) < 2 and match.group("text") is None:
            continue
        head = f"{line[: match.start()]}{{% blocktranslate{options} trimmed %}}"
        lines, current = [], indent + "  "
        for word in words:
            if len(current) + len(word) + 1 > MAX_LINE and current.strip():
                lines.append(current.rstrip())
                current = indent + "  "
            current += word + " "
        lines.append(current.rstrip())
        tail = f"{indent}{{% endblocktranslate %}}{line[match.end() :]}"
        return [head, *lines, *_wrap(tail)]
    return [line]


OPENING = re.compile(r"^(?P<indent>\s*)\{% blocktranslate with (?P<args>.*?) trimmed %\}$")
ARG = re.compile(r"""(\w+)=((?:"[^"]*"|'[^']*'|[^\s"'])+)""")


def split_long_openings(source: str) -> str:
    """A `{% blocktranslate with … %}` alone on a line too long for djLint gets its variables
    from `{% with %}` tags on lines of their own before it (the line already began with
    whitespace, so the page gains no space); their `{% endwith %}` follow the end tag directly."""
    lines = source.split("\n")
    out: list[str] = []
    pending = 0
    for line in lines:
        match = OPENING.match(line)
        if pending and "{% endblocktranslate %}" in line:
            line = line.replace(
                "{% endblocktranslate %}", "{% endblocktranslate %}" + "{% endwith %}" * pending, 1
            )
            pending = 0
        if match and len(line) > MAX_LINE:
            indent = match.group("indent")
            groups: list[str] = []
            for name, expression in ARG.findall(match.group("args")):
                arg = f"{name}={expression}"
                if groups and len(indent) + len(groups[-1]) + len(arg) + 13 <= MAX_LINE:
                    groups[-1] += " " + arg
                else:
                    groups.append(arg)
            out.extend(f"{indent}{{% with {group} %}}" for group in groups)
            out.append(f"{indent}{{% blocktranslate trimmed %}}")
            pending = len(groups)
            continue
        out.append(line)
    return "\n".join(out)


def break_at_spaces(source: str) -> str:
    """A line still too long is broken at a space it already has between tags (a space on the
    page either way), as near the limit as possible."""
    out = []
    for line in source.split("\n"):
        while len(line) > MAX_LINE:
            indent = line[: len(line) - len(line.lstrip())]
            spaces, position = [], 0
            for match in TOKEN.finditer(line):
                spaces += [
                    position + i
                    for i, ch in enumerate(line[position : match.start()])
                    if ch == " " and position + i > len(indent)
                ]
                position = match.end()
            spaces += [position + i for i, ch in enumerate(line[position:]) if ch == " " and i > 0]
            fitting = [i for i in spaces if i <= MAX_LINE]
            if not fitting:
                break
            cut = fitting[-1]
            out.append(line[:cut].rstrip())
            line = indent + line[cut:].lstrip()
        out.append(line)
    return "\n".join(out)


def main(paths: list[str]) -> int:
    changed = 0
    for name in paths:
        path = Path(name)
        source = path.read_text()
        result = break_at_spaces(split_long_openings(wrap_long_lines(mark(source, name))))
        if result != source:
            path.write_text(result)
            changed += 1
    for line in problems:
        print(line)
    print(f"{changed} of {len(paths)} templates marked")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
