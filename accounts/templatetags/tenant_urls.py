from django import template
from django.urls import reverse

from accounts.platform.tenancy import tenant_url

register = template.Library()


@register.simple_tag(takes_context=True)
def turl(context, viewname, *args, **kwargs):
    """`{% url %}` for tenant pages: the current tenant's slug is filled in."""
    tenant = context["request"].tenant
    if args:
        return reverse(viewname, args=[tenant.slug, *args])
    return tenant_url(viewname, tenant.slug, kwargs)


@register.simple_tag(takes_context=True)
def active_if(context, *prefixes):
    path = context["request"].path
    tenant = context["request"].tenant
    base = f"/{tenant.slug}/" if tenant else "/"
    for prefix in prefixes:
        if (prefix == "" and path == base) or (prefix and path.startswith(base + prefix)):
            return "active"
    return ""
