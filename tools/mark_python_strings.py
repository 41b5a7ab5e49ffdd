"""Marks user-facing strings of Python modules for translation (issue 17).

    .venv/bin/python tools/mark_python_strings.py accounts/forms.py invoicing/services/*.py

Marked: labels, help texts and verbose names (keyword arguments, a model field's first
argument, `class Meta` names), choices' labels (TextChoices members), crispy `Fieldset`
titles and `Submit` labels, and the messages of ValidationError, `add_error` and
`messages.<level>`. At module and class level they become `_("…")` (gettext_lazy: translated
when shown, in the language of the request); inside functions `gettext("…")`. An f-string
becomes `gettext("… %(name)s …") % {"name": …}` with its format specs applied to the values.
Strings without letters, and modules that write files for machines (exports, imports,
e-invoices, resources), are left alone. Running it again changes only what is new.
"""

import ast
import re
import sys
from pathlib import Path

KEYWORDS = {
    "help_text",
    "verbose_name",
    "verbose_name_plural",
    "label",
    "empty_label",
    "violation_error_message",
    "empty_text",
    "title",
    "message",
}
META_NAMES = {"verbose_name", "verbose_name_plural", "empty_text"}
MESSAGE_CALLS = {"ValidationError", "PermissionDenied"}
MESSAGE_LEVELS = {"success", "info", "warning", "error", "debug"}
FIELD_FIRST_ARG = re.compile(r"(Field|money_field|percent_field)$")
NOT_VERBOSE = {"ForeignKey", "OneToOneField", "ManyToManyField", "GenericForeignKey"}
LETTER = re.compile(r"[^\W\d_]")
SKIP_FILES = re.compile(
    r"(resources|exports?|importing|import_tasks|bank_parsing|einvoice|/management/)"
)


def call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


class Finder(ast.NodeVisitor):
    def __init__(self):
        self.targets: list[tuple[ast.expr, bool]] = []  # (node, inside a function)
        self.depth = 0  # functions
        self.class_stack: list[ast.ClassDef] = []

    def add(self, node):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if LETTER.search(node.value):
                self.targets.append((node, self.depth > 0))
        elif isinstance(node, ast.JoinedStr) and self.depth > 0:
            self.targets.append((node, True))
        elif isinstance(node, ast.Dict):
            for value in node.values:
                self.add(value)

    def visit_FunctionDef(self, node):
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        bases = {getattr(b, "id", getattr(b, "attr", "")) for b in node.bases}
        if bases & {"TextChoices", "IntegerChoices", "Choices"}:
            for statement in node.body:
                if (
                    isinstance(statement, ast.Assign)
                    and isinstance(statement.value, ast.Tuple)
                    and len(statement.value.elts) >= 2
                ):
                    self.add(statement.value.elts[-1])
        if node.name == "Meta":
            for statement in node.body:
                if isinstance(statement, ast.Assign) and any(
                    getattr(t, "id", "") in META_NAMES for t in statement.targets
                ):
                    self.add(statement.value)
        self.class_stack.append(node)
        self.generic_visit(node)
        self.class_stack.pop()

    def visit_Call(self, node):
        name = call_name(node)
        for keyword in node.keywords:
            if keyword.arg in KEYWORDS:
                self.add(keyword.value)
        if FIELD_FIRST_ARG.search(name) and name not in NOT_VERBOSE and node.args:
            self.add(node.args[0])
        if name in MESSAGE_CALLS and node.args:
            self.add(node.args[0])
        if name == "Fieldset" and node.args:
            self.add(node.args[0])
        if name == "Submit" and len(node.args) >= 2:
            self.add(node.args[1])
        if name == "add_error" and len(node.args) >= 2:
            self.add(node.args[1])
        if (
            name in MESSAGE_LEVELS
            and isinstance(node.func, ast.Attribute)
            and getattr(node.func.value, "id", "") == "messages"
            and len(node.args) >= 2
        ):
            self.add(node.args[1])
        self.generic_visit(node)


def offsets(source: str):
    """(line, UTF-8 byte column) as ast gives them → an index into the text."""
    lines = source.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def position(line: int, col: int) -> int:
        text = lines[line - 1] if line - 1 < len(lines) else ""
        return starts[line - 1] + len(text.encode()[:col].decode())

    return position


def placeholder(expression: ast.expr, taken: dict[str, str], text: str) -> str:
    source = ast.unparse(expression)
    parts = re.findall(r"[A-Za-z_]\w*", source) or ["value"]
    name = parts[-1]
    if name in ("name", "number", "pk") and len(parts) > 1:
        name = f"{parts[-2]}_{name}"
    candidate, index = name, 2
    while candidate in taken and taken[candidate] != text:
        candidate = f"{name}{index}"
        index += 1
    return candidate


def convert_fstring(node: ast.JoinedStr, source_of) -> str | None:
    pieces, values = [], {}
    for part in node.values:
        if isinstance(part, ast.Constant):
            pieces.append(part.value.replace("%", "%%"))
            continue
        if not isinstance(part, ast.FormattedValue):
            return None
        expression = source_of(part.value)
        if part.format_spec is not None:
            spec_parts = part.format_spec.values
            if not all(isinstance(p, ast.Constant) for p in spec_parts):
                return None
            spec = "".join(p.value for p in spec_parts)
            expression = f"format({expression}, {spec!r})"
        if part.conversion == ord("r"):
            expression = f"repr({expression})"
        elif part.conversion == ord("s"):
            expression = f"str({expression})"
        name = placeholder(part.value, values, expression)
        values[name] = expression
        pieces.append(f"%({name})s")
    text = "".join(pieces)
    if not LETTER.search(re.sub(r"%\(\w+\)s", "", text)):
        return None
    mapping = ", ".join(f'"{k}": {v}' for k, v in values.items())
    return f"gettext({text!r}) % {{{mapping}}}"


def mark(source: str) -> tuple[str, set[str]]:
    tree = ast.parse(source)
    finder = Finder()
    finder.visit(tree)
    position = offsets(source)

    def source_of(node):
        return source[
            position(node.lineno, node.col_offset) : position(node.end_lineno, node.end_col_offset)
        ]

    edits, needs = [], set()
    seen = set()
    for node, in_function in finder.targets:
        start = position(node.lineno, node.col_offset)
        end = position(node.end_lineno, node.end_col_offset)
        if (start, end) in seen:
            continue
        seen.add((start, end))
        before = source[max(0, start - 12) : start]
        if re.search(r"(gettext|_|gettext_lazy|pgettext_lazy|ngettext)\($", before):
            continue
        original = source[start:end]
        if isinstance(node, ast.JoinedStr):
            replacement = convert_fstring(node, source_of)
            if replacement is None:
                continue
            if "\n" in original:
                replacement = f"(\n{replacement}\n)"
            needs.add("gettext")
        elif in_function:
            replacement = f"gettext({original})"
            needs.add("gettext")
        else:
            replacement = f"_({original})"
            needs.add("_")
        edits.append((start, end, replacement))
    for start, end, replacement in sorted(edits, reverse=True):
        source = source[:start] + replacement + source[end:]
    return source, needs


def add_imports(source: str, needs: set[str]) -> str:
    lines = []
    if "gettext" in needs and not re.search(
        r"^from django\.utils\.translation import .*\bgettext\b(?! as)", source, re.M
    ):
        lines.append("from django.utils.translation import gettext")
    if "_" in needs and not re.search(r"gettext_lazy as _", source):
        lines.append("from django.utils.translation import gettext_lazy as _")
    if not lines:
        return source
    tree = ast.parse(source)
    last_import = 0
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            last_import = node.end_lineno
        elif last_import:
            break
    rows = source.split("\n")
    if last_import == 0:
        # after the module docstring
        first = tree.body[0]
        last_import = first.end_lineno if isinstance(first, ast.Expr) else 0
    rows[last_import:last_import] = lines
    return "\n".join(rows)


def main(paths: list[str]) -> int:
    changed = 0
    for name in paths:
        if SKIP_FILES.search(name) or "/migrations/" in name:
            continue
        path = Path(name)
        source = path.read_text()
        result, needs = mark(source)
        if result != source:
            path.write_text(add_imports(result, needs))
            changed += 1
    print(f"{changed} of {len(paths)} modules marked")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
