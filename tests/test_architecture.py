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
