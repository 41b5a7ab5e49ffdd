"""Django's form renderer, with its plainest widget templates written in Python (issue 18).

A widget renders through the template engine: a `<select>` of 30 options is 30 includes of
`select_option.html`, each including `attrs.html`. On a project's registrations tab the six
filter fields took 12 ms of a 60 ms page. `WidgetRenderer` writes the same markup for the
templates below with string joins, and leaves every other template (forms, fields, the admin's
and other apps' widgets) to the engine. A template another app overrides is left to the engine
too (`_is_djangos_own`), so an override still wins.

`tests/accounts/test_form_renderer.py` renders each of these templates both ways and compares.
"""

import functools
from pathlib import Path

from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData

_WIDGETS = "django/forms/widgets/"
_DJANGO_FORMS_TEMPLATES = Path(forms.__file__).parent / "templates"


def _formatted(value) -> str:
    """`{{ value|stringformat:'s' }}`: no localisation; safe input stays unescaped."""
    return str(value) if isinstance(value, SafeData) else escape(str(value))


def _shown(value) -> str:
    """`{{ value }}`: localised, then escaped unless safe."""
    return conditional_escape(str(localize(value)))


def _attrs(attrs: dict) -> str:
    """attrs.html: `True` is a bare attribute, `False` leaves it out."""
    return "".join(
        f" {_shown(name)}" if value is True else f' {_shown(name)}="{_formatted(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget: dict) -> str:
    value = "" if widget["value"] is None else f' value="{_formatted(widget["value"])}"'
    return (
        f'<input type="{_shown(widget["type"])}" name="{_shown(widget["name"])}"{value}'
        f"{_attrs(widget['attrs'])}>"
    )


def _option(option: dict) -> str:
    return (
        f'<option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>'
        f"{_shown(option['label'])}</option>"
    )


def _select(widget: dict) -> str:
    parts = [f'<select name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_shown(group_name)}">')
        for option in options:
            if option["template_name"] != _WIDGETS + "select_option.html":
                raise _Unhandled
            # The include keeps the newline that ends select_option.html.
            parts.append(f"\n  {_option(option)}\n")
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _textarea(widget: dict) -> str:
    value = _shown(widget["value"]) if widget["value"] else ""
    name, attrs = _shown(widget["name"]), _attrs(widget["attrs"])
    return f'<textarea name="{name}"{attrs}>\n{value}</textarea>'


class _Unhandled(Exception):
    """A context the Python version does not cover: the engine renders it."""


_INPUTS = (
    *("input", "text", "search", "number", "email", "url", "tel", "password", "hidden"),
    *("date", "datetime", "time", "color", "checkbox"),
)
_IN_PYTHON = {
    **{f"{_WIDGETS}{name}.html": _input for name in _INPUTS},
    _WIDGETS + "select.html": _select,
    _WIDGETS + "select_option.html": _option,
    _WIDGETS + "textarea.html": _textarea,
}


class WidgetRenderer(DjangoTemplates):
    """`FORM_RENDERER`: the engine's output for the templates in `_IN_PYTHON`, in Python."""

    def render(self, template_name, context, request=None):
        write = _IN_PYTHON.get(template_name)
        if write is not None and request is None and self._is_djangos_own(template_name):
            try:
                return write(context["widget"])
            except _Unhandled:
                pass
        return super().render(template_name, context, request)

    @functools.cache  # noqa: B019 - one renderer per process (get_default_renderer)
    def _is_djangos_own(self, template_name: str) -> bool:
        origin = Path(self.get_template(template_name).origin.name)
        return origin.is_relative_to(_DJANGO_FORMS_TEMPLATES)
