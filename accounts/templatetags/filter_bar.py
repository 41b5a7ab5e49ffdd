"""`{% filter_field field %}`: one field of a list's filter bar, its label, widget and errors.

Written in Python rather than included as a template: a bar of six fields was six template
includes, about 2 ms of a list page (issue 18)."""

from django import template
from django.utils.html import format_html, format_html_join

register = template.Library()


@register.simple_tag
def filter_field(field):
    errors = format_html_join(
        "", '<div class="invalid-feedback d-block">{}</div>', ((error,) for error in field.errors)
    )
    return format_html(
        '<label class="form-label" for="{}">{}</label>\n{}\n{}',
        field.id_for_label,
        field.label,
        field,
        errors,
    )
