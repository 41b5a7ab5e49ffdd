"""The architecture of DESIGN.md ("Layout"), kept by tests as well as by `make lint`."""

import ast
import pathlib
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from accounts.platform.registry import Hook, Registry
from accounts.platform.tabs import Tab

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGES = ["accounts", "agreements", "projects", "invoicing", "reporting", "demo", "config"]


def test_the_import_contracts_hold():
    """Layers (platform < accounts < agreements < projects < invoicing < reporting < demo) and
    no app importing another's pages or private modules: pyproject.toml, [tool.importlinter]."""
    lint = pathlib.Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-3000:]


def _modules():
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path


def test_no_module_imports_a_private_name_of_another_package():
    """A name starting with "_" is private to its package: no other package imports it."""
    offenders = []
    for path in _modules():
        package = path.relative_to(ROOT).parts[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                source_package = node.module.split(".")[0]
                if source_package in PACKAGES and source_package != package:
                    offenders += [
                        f"{path.relative_to(ROOT)}: {node.module}.{alias.name}"
                        for alias in node.names
                        if alias.name.startswith("_")
                    ]
    assert offenders == []


def test_a_registry_refuses_a_second_entry_with_the_same_key():
    tabs = Registry("test tabs")
    tabs.register(Tab(key="projects", label="Projects", order=30, template_name="a.html"))
    with pytest.raises(ImproperlyConfigured, match="“projects” is registered already"):
        tabs.register(Tab(key="projects", label="Projects", order=30, template_name="b.html"))
    hook = Hook("test hook")
    hook.register(len)
    with pytest.raises(ImproperlyConfigured):
        hook.register(sum)
    assert hook.function is len


# Writing CSV or XLSX is the exporter base's job (DESIGN.md: exports share one base); reading a
# customer's file is the import modules' (they may read with these libraries, never write).
EXPORT_BASE = ROOT / "accounts" / "platform" / "exporting"
FILE_READERS = {"accounts/platform/importing.py", "accounts/platform/import_tasks.py"}
FILE_LIBRARIES = {"csv", "openpyxl", "tablib", "xlsxwriter", "xlwt", "pyexcel"}
WRITING_NAMES = {"writer", "DictWriter", "writerow", "writerows", "Workbook", "WriteOnlyCell"}


def test_no_module_outside_the_exporter_base_writes_csv_or_xlsx():
    """A module that imports csv, openpyxl or tablib is the base or a reader of imports; a reader
    uses no writing API; nothing calls a django-import-export resource's `.export()`."""
    offenders = []
    for path in _modules():
        if path.is_relative_to(EXPORT_BASE):
            continue
        relative = path.relative_to(ROOT).as_posix()
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules = [node.module]
                used = {alias.name for alias in node.names} & WRITING_NAMES
                if used and node.module.split(".")[0] in FILE_LIBRARIES:
                    offenders.append(f"{relative}: imports {sorted(used)} to write")
            else:
                modules = []
            libraries = {module.split(".")[0] for module in modules} & FILE_LIBRARIES
            if libraries and relative not in FILE_READERS:
                offenders.append(f"{relative}: imports {sorted(libraries)}")
            if isinstance(node, ast.Attribute) and (
                node.attr in WRITING_NAMES
                and isinstance(node.value, ast.Name)
                and node.value.id in FILE_LIBRARIES
            ):
                offenders.append(f"{relative}: {node.value.id}.{node.attr}")
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "export"
            ):
                offenders.append(f"{relative}:{node.lineno}: .export() of a resource")
    assert offenders == [], "Write exports through accounts.platform.exporting:\n" + "\n".join(
        offenders
    )


def test_the_architecture_check_would_see_a_hand_written_csv(tmp_path, monkeypatch):
    """The check above is not vacuous: a view writing its own CSV is caught."""
    rogue = tmp_path / "reporting" / "rogue.py"
    rogue.parent.mkdir()
    rogue.write_text("import csv\n\ndef view(out):\n    csv.writer(out).writerow(['a'])\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    monkeypatch.setattr(sys.modules[__name__], "PACKAGES", ["reporting"])
    monkeypatch.setattr(sys.modules[__name__], "EXPORT_BASE", tmp_path / "base")
    with pytest.raises(AssertionError, match=r"reporting/rogue.py: imports \['csv'\]"):
        test_no_module_outside_the_exporter_base_writes_csv_or_xlsx()
