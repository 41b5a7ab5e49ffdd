"""Resolves the tenant of every staff URL and runs the view inside its scope.

`/<tenant-slug>/...` URLs carry the tenant. The user must be logged in and a member; otherwise the
answer is the same 404 whether the tenant does not exist or is not theirs. The view runs inside the
tenant scope and its template response is rendered there too. The Django admin runs in the scope of
the tenant the user chose to administer (see `accounts.admin_site`).
"""

import re
import uuid

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.cache import patch_cache_control

from accounts.platform.languages import supported
from accounts.platform.memberships import membership_in, memberships_of_request
from accounts.platform.models import Role
from accounts.platform.tenancy import activate, scopes_disabled
from config.logging import current_request  # the log records' request (LOG_FORMAT, README)

ADMIN_TENANT_SESSION_KEY = "admin_tenant_id"

REQUEST_ID_HEADER = "X-Request-ID"
# A proxy's or load balancer's id is kept when it is sane (UUIDs, AWS and Heroku styles):
# letters, digits and `-_.:@+=/`, at most 128 characters; anything else gets a new one.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-_.:@+=/]{0,127}")


def sane_request_id(value: str | None) -> str | None:
    return value if value and _SANE_REQUEST_ID.fullmatch(value) else None


class RequestIdMiddleware:
    """Gives every request an id: the `X-Request-ID` it came with when that is sane, else a new
    one. The id is echoed in the answer's `X-Request-ID` header and carried by every log line
    written while the request is served (with the tenant's slug and the user's id), so a user's
    error reference and the proxy's access log lead to the same lines."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = sane_request_id(request.headers.get(REQUEST_ID_HEADER)) or (
            uuid.uuid4().hex
        )
        token = current_request.set(request)
        try:
            response = self.get_response(request)
        finally:
            current_request.reset(token)
        response[REQUEST_ID_HEADER] = request.request_id
        return response


class TenantMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.tenant = None
        request.membership = None
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return self.get_response(request)

        if match.namespace == "admin" or match.app_name == "admin":
            return self._admin(request)

        slug = match.kwargs.get("tenant_slug")
        if slug is None:
            return self.get_response(request)
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        membership = membership_in(memberships_of_request(request), request.user, slug)
        if membership is None:
            raise Http404("No such company, or you are not a member of it.")
        request.tenant = membership.tenant
        request.membership = membership
        with activate(membership.tenant):
            return self._respond(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Views read the tenant from request.tenant; the slug only routed the request here.
        view_kwargs.pop("tenant_slug", None)

    def _admin(self, request):
        user = request.user
        if user.is_authenticated and user.is_active and user.is_superuser:
            with scopes_disabled():
                return self._respond(request)
        tenant_id = request.session.get(ADMIN_TENANT_SESSION_KEY) if user.is_authenticated else None
        if tenant_id is not None:
            with scopes_disabled():
                membership = (
                    user.memberships.filter(
                        tenant_id=tenant_id, role=Role.ADMIN, tenant__is_active=True
                    )
                    .select_related("tenant")
                    .first()
                )
            if membership is not None:
                request.tenant = membership.tenant
                request.membership = membership
                with activate(membership.tenant):
                    return self._respond(request)
        return self.get_response(request)

    def _respond(self, request):
        # The company's language for the page, its numbers and dates (issue 17); the template
        # response is rendered here, so all of it is in that language.
        language = supported(getattr(request.tenant, "language", None))
        with translation.override(language):
            request.LANGUAGE_CODE = language
            response = self.get_response(request)
            if callable(getattr(response, "render", None)) and not response.is_rendered:
                response.render()
        response.headers.setdefault("Content-Language", language)
        return response


class PrivateCacheMiddleware:
    """Nothing a signed-in user sees, nor anything under a tenant URL, is kept by a browser or a
    proxy: pages, PDFs, documents and exports answer `Cache-Control: private, no-store` (a
    shared computer's back button or disk cache would otherwise show a company's invoices to
    the next person). Static files are left alone: they carry no one's data.

    Placed after the authentication middleware and before TenantMiddleware, so that it sees the
    user and the tenant the request resolved to."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.static_prefix = settings.STATIC_URL or "/static/"
        if not self.static_prefix.startswith("/"):
            self.static_prefix = "/" + self.static_prefix

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(self.static_prefix):
            return response
        user = getattr(request, "user", None)
        if (
            getattr(request, "tenant", None) is not None
            or (user is not None and user.is_authenticated)
            or _is_tenant_url(request)
        ):
            patch_cache_control(response, private=True, no_store=True)  # drops any "public"
        return response


def _is_tenant_url(request) -> bool:
    match = getattr(request, "resolver_match", None)
    if match is None:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
    return "tenant_slug" in match.kwargs
