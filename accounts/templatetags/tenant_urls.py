from django import template
from django.urls import reverse

register = template.Library()


@register.simple_tag(takes_context=True)
def turl(context, viewname, *args, **kwargs):
    """`{% url %}` for tenant pages: the current tenant's slug is filled in."""
    tenant = context["request"].tenant
    return reverse(
        viewname,
        args=[tenant.slug, *args] if args else None,
        kwargs={"tenant_slug": tenant.slug, **kwargs} if not args else None,
    )


@register.simple_tag(takes_context=True)
def active_if(context, *prefixes):
    path = context["request"].path
    tenant = context["request"].tenant
    base = f"/{tenant.slug}/" if tenant else "/"
    for prefix in prefixes:
        if (prefix == "" and path == base) or (prefix and path.startswith(base + prefix)):
            return "active"
    return ""
