import django_tables2 as tables
from django.utils.html import format_html

from accounts.models import Account, Contact
from accounts.platform.models import Membership, Role


class AccountTable(tables.Table):
    number = tables.Column(linkify=True, verbose_name="No.")
    name = tables.Column(linkify=True)
    kind = tables.Column()
    region = tables.Column(order_by=("region__name",))
    parent = tables.Column(verbose_name="Parent", order_by=("parent__name",))
    city = tables.Column()
    contact_count = tables.Column(verbose_name="Contacts", attrs={"td": {"class": "text-end"}})
    is_active = tables.BooleanColumn(verbose_name="Active")

    class Meta:
        model = Account
        fields = [
            "number",
            "name",
            "kind",
            "region",
            "parent",
            "city",
            "contact_count",
            "is_active",
        ]
        order_by = "name"
        empty_text = "No accounts match these filters."

    def render_parent(self, value):
        return value.name

    def render_kind(self, record):
        css = "text-bg-primary" if record.is_organisation else "text-bg-secondary"
        return format_html('<span class="badge {}">{}</span>', css, record.get_kind_display())


class ContactTable(tables.Table):
    full_name = tables.Column(verbose_name="Name", order_by=("last_name", "first_name"))
    job_title = tables.Column()
    email = tables.EmailColumn()
    phone = tables.Column()
    is_primary = tables.BooleanColumn(verbose_name="Primary")
    actions = tables.TemplateColumn(
        template_name="accounts/partials/contact_actions.html", verbose_name="", orderable=False
    )

    class Meta:
        model = Contact
        fields = ["full_name", "job_title", "email", "phone", "is_primary"]
        empty_text = "No contacts yet."


class MemberTable(tables.Table):
    name = tables.Column(
        accessor="user__get_full_name", verbose_name="Name", order_by=("user__last_name",)
    )
    email = tables.Column(accessor="user__email", verbose_name="E-mail")
    role = tables.Column()
    last_login = tables.DateTimeColumn(accessor="user__last_login", verbose_name="Last login")
    actions = tables.TemplateColumn(
        template_name="accounts/partials/member_actions.html",
        verbose_name="",
        orderable=False,
        extra_context={"roles": Role.choices},
    )

    class Meta:
        model = Membership
        fields = ["name", "email", "role", "last_login"]
