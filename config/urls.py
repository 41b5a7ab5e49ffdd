from django.contrib import admin
from django.contrib.auth import views as auth_views
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

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
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
