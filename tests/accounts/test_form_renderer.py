"""The Python widget renderer writes what Django's widget templates write (issue 18)."""

import datetime
from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.platform.form_renderer import _IN_PYTHON, WidgetRenderer

TEMPLATES = DjangoTemplates()
FAST = WidgetRenderer()

text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
attr_value = st.one_of(
    st.booleans(), text, st.integers(), st.decimals(allow_nan=False, allow_infinity=False)
)
attrs = st.dictionaries(st.sampled_from(["class", "placeholder", "data-x", "min"]), attr_value)
value = st.one_of(
    st.none(), text, st.integers(), st.dates(), st.builds(mark_safe, text), st.just("")
)


def both(widget: forms.Widget, name: str, value, attrs=None) -> tuple[str, str]:
    return (
        widget.render(name, value, attrs, renderer=TEMPLATES),
        widget.render(name, value, attrs, renderer=FAST),
    )


INPUTS = [
    forms.TextInput,
    forms.NumberInput,
    forms.EmailInput,
    forms.URLInput,
    forms.PasswordInput,
    forms.HiddenInput,
    forms.DateInput,
    forms.DateTimeInput,
    forms.TimeInput,
    forms.CheckboxInput,
    forms.Textarea,
]


@pytest.mark.parametrize("widget_class", INPUTS, ids=lambda c: c.__name__)
@settings(max_examples=40, deadline=None)
@given(name=text, value=value, attrs=attrs)
def test_inputs_render_as_the_templates_do(widget_class, name, value, attrs):
    template, python = both(widget_class(attrs=attrs), name, value)
    assert python == template


@settings(max_examples=60, deadline=None)
@given(
    name=text,
    choices=st.lists(
        st.one_of(
            st.tuples(st.one_of(text, st.integers()), text),
            st.tuples(text, st.lists(st.tuples(text, text), min_size=1, max_size=3)),
        ),
        max_size=6,
    ),
    chosen=st.one_of(st.none(), text, st.lists(text, max_size=2)),
    attrs=attrs,
    multiple=st.booleans(),
)
def test_selects_render_as_the_templates_do(name, choices, chosen, attrs, multiple):
    widget_class = forms.SelectMultiple if multiple else forms.Select
    template, python = both(widget_class(attrs=attrs, choices=choices), name, chosen)
    assert python == template


def test_a_select_of_a_model_field_renders_as_the_template_does():
    widget = forms.Select(
        choices=[("", "Any <status>"), (1, "Open & new"), (Decimal("2.5"), "Half")],
        attrs={"class": "form-select", "required": True, "disabled": False},
    )
    template, python = both(widget, "status", 1)
    assert python == template
    assert '<option value="1" selected>Open &amp; new</option>' in python
    assert "disabled" not in python


def test_a_date_input_shows_its_format_in_both():
    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    template, python = both(widget, "from", datetime.date(2026, 3, 4))
    assert python == template == '<input type="date" name="from" value="2026-03-04">'


def test_every_template_written_in_python_is_djangos_own():
    """An app overriding one of these templates would be ignored by the Python path: the
    renderer checks the template's origin, and these are all Django's."""
    assert all(FAST._is_djangos_own(name) for name in _IN_PYTHON)


def test_other_templates_still_render_through_the_engine():
    widget = forms.RadioSelect(choices=[("a", "A")])
    template, python = both(widget, "pick", "a")
    assert python == template and 'type="radio"' in python
