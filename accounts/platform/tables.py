"""Table columns every app's lists share."""

import django_tables2 as tables
from django.utils.html import format_html

from accounts.platform.access import can


class PermittedLinkColumn(tables.Column):
    """The record's page as a link for a role that may open it, plain text for any other role
    (issue 17: staff saw product codes as links to an edit page answering "Not allowed").

    `PermittedLinkColumn(permission=permissions.MANAGE_CATALOGUE)`; the table must know its
    request (django-tables2's `RequestConfig`, which `SingleTableMixin` applies). Without a
    request nothing is linked: a link is shown only when the role is known to be allowed."""

    def __init__(self, *args, permission: str, **kwargs):
        self.permission = permission
        super().__init__(*args, **kwargs)

    def render(self, value, record, table):
        request = getattr(table, "request", None)
        if request is not None and can(request, self.permission):
            return format_html('<a href="{}">{}</a>', record.get_absolute_url(), value)
        return value
