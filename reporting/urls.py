from django.urls import path

from reporting import views
from reporting.accounting import views as accounting

app_name = "reporting"

urlpatterns = [
    path("reports/custom/", views.CustomReportView.as_view(), name="custom"),
    path("reports/profitability/", views.ProfitabilityView.as_view(), name="profitability"),
    path("reports/aged-receivables/", views.AgedReceivablesView.as_view(), name="aged"),
    path("exports/", views.ExportsView.as_view(), name="exports"),
    path("exports/reconciliation.csv", views.ReconciliationView.as_view(), name="reconciliation"),
    path("exports/batches/<int:pk>/", views.BatchDownloadView.as_view(), name="batch-download"),
    path(
        "exports/accounting/",
        accounting.AccountingMappingView.as_view(),
        name="accounting-mapping",
    ),
    path(
        "exports/batches/<int:pk>/accounting/",
        accounting.BatchAccountingView.as_view(),
        name="batch-accounting",
    ),
    path(
        "exports/batches/<int:pk>/accounting/<slug:name>.csv",
        accounting.BatchFileDownloadView.as_view(),
        name="batch-file",
    ),
]
