from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path

from accounts.platform.authentication import EmailAuthenticationForm
from accounts.views import DashboardView, HomeView
from config.health import liveness, readiness
from config.metrics import metrics_view
from config.probe import session_probe

# Every staff page lives under /<tenant-slug>/; TenantMiddleware resolves and checks it.
tenant_patterns = [
    path("", DashboardView.as_view(), name="dashboard"),
    path("", include("accounts.urls")),
    path("", include("agreements.urls")),
    path("", include("projects.urls")),
    path("", include("invoicing.urls")),
    path("", include("reporting.urls")),
]


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page links (issue 17: it answered 404): the
    vendored icon, at its collected (hashed) address, looked up when asked."""
    response = HttpResponseRedirect(static("favicon.svg"))
    response["Cache-Control"] = "public, max-age=86400"
    return response


urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("probe/", session_probe, name="probe"),
    # Operations (config/health.py, config/metrics.py): no tenant, no session needed.
    path("healthz", liveness, name="healthz"),
    path("readyz", readiness, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=EmailAuthenticationForm
        ),
        name="login",
    ),
    path("", include("django.contrib.auth.urls")),
    path("<slug:tenant_slug>/", include(tenant_patterns)),
]
