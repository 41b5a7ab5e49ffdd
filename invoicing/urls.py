from django.urls import path

from invoicing import (
    account_views,
    bank_views,
    payment_views,
    reminder_views,
    statement_views,
    views,
)

app_name = "invoicing"

urlpatterns = [
    path("invoices/", views.InvoiceListView.as_view(), name="invoice-list"),
    path("invoices/zip/", views.InvoiceZipView.as_view(), name="invoice-zip"),
    path("invoices/<int:pk>/", views.InvoiceDetailView.as_view(), name="invoice-detail"),
    path("invoices/<int:pk>/pdf/", views.InvoicePdfView.as_view(), name="invoice-pdf"),
    path("invoices/<int:pk>/ubl/", views.InvoiceUblView.as_view(), name="invoice-ubl"),
    path("invoices/exchange-rates/", views.ExchangeRateView.as_view(), name="exchange-rates"),
    path("invoices/settings/", views.InvoicingSettingsView.as_view(), name="settings"),
    path("invoices/runs/", views.RunListView.as_view(), name="run-list"),
    path("invoices/runs/<int:pk>/", views.RunDetailView.as_view(), name="run-detail"),
    path(
        "invoices/from-project/<int:project_pk>/",
        views.InvoiceFromSelectionView.as_view(),
        name="invoice-from-selection",
    ),
    # One invoice across a billing account's projects (issue 13, part 3)
    path(
        "invoices/from-account/<int:account_pk>/",
        account_views.AccountReadyView.as_view(),
        name="invoice-from-account",
    ),
    path(
        "invoices/deposit/<int:project_pk>/",
        views.DepositCreateView.as_view(),
        name="deposit-create",
    ),
    # Payments (issue 16)
    path(
        "payments/record/<int:account_pk>/",
        payment_views.PaymentRecordView.as_view(),
        name="payment-record",
    ),
    path(
        "payments/allocate/<int:account_pk>/",
        payment_views.AllocateView.as_view(),
        name="allocate",
    ),
    path("payments/<int:pk>/", payment_views.PaymentDetailView.as_view(), name="payment-detail"),
    path(
        "payments/<int:pk>/reverse/",
        payment_views.PaymentReverseView.as_view(),
        name="payment-reverse",
    ),
    # Bank statements (issue 16, part 4)
    path("bank/", bank_views.BankLineListView.as_view(review=True), name="bank-review"),
    path("bank/import/", bank_views.BankImportView.as_view(), name="bank-import"),
    path("bank/lines/", bank_views.BankLineListView.as_view(), name="bank-lines"),
    path("bank/lines/<int:pk>/", bank_views.BankLineView.as_view(), name="bank-line"),
    # Statements and reminders (issue 16, parts 2 and 3)
    path(
        "invoices/statement/<int:account_pk>/",
        statement_views.AccountStatementView.as_view(),
        name="statement",
    ),
    path("reminders/levels/", reminder_views.DunningLevelsView.as_view(), name="dunning-levels"),
    path(
        "reminders/levels/<int:pk>/",
        reminder_views.DunningLevelEditView.as_view(),
        name="dunning-level-edit",
    ),
    path(
        "reminders/hold/<int:account_pk>/",
        reminder_views.ReminderHoldView.as_view(),
        name="reminder-hold",
    ),
]
