from django.urls import path

from projects import views

app_name = "projects"

urlpatterns = [
    path("projects/", views.ProjectListView.as_view(), name="project-list"),
    path("calendar/", views.CalendarView.as_view(), name="calendar"),
    path("projects/options/", views.ProjectOptionsView.as_view(), name="project-options"),
    path("projects/settings/", views.ProjectSettingsView.as_view(), name="settings"),
    path("projects/new/", views.ProjectFormView.as_view(), name="project-create"),
    path("projects/classes/", views.ProjectClassListView.as_view(), name="classes"),
    path(
        "projects/classes/<int:pk>/edit/", views.ProjectClassEditView.as_view(), name="class-edit"
    ),
    path("projects/<int:pk>/sharing/", views.ProjectSharingView.as_view(), name="project-sharing"),
    path(
        "projects/<int:pk>/currency/", views.ProjectCurrencyView.as_view(), name="project-currency"
    ),
    path("projects/<int:pk>/", views.ProjectDetailView.as_view(), name="project-detail"),
    path("projects/<int:pk>/edit/", views.ProjectFormView.as_view(), name="project-edit"),
    path("projects/<int:pk>/status/", views.ProjectStatusView.as_view(), name="project-status"),
    path("projects/<int:pk>/copy/", views.ProjectCopyView.as_view(), name="project-copy"),
    path(
        "projects/<int:pk>/documents/upload/",
        views.ProjectDocumentUploadView.as_view(),
        name="document-upload",
    ),
    path(
        "projects/<int:pk>/registrations/import/",
        views.RegistrationImportView.as_view(),
        name="registration-import",
    ),
    path(
        "projects/<int:project_pk>/events/new/", views.EventFormView.as_view(), name="event-create"
    ),
    path(
        "projects/<int:project_pk>/events/<int:pk>/edit/",
        views.EventFormView.as_view(),
        name="event-edit",
    ),
    path(
        "projects/<int:project_pk>/registrations/new/",
        views.RegistrationAddView.as_view(),
        name="registration-add",
    ),
    path(
        "projects/<int:project_pk>/registrations/status/",
        views.RegistrationBulkStatusView.as_view(),
        name="registration-bulk-status",
    ),
    path(
        "projects/<int:project_pk>/registrations/cancel/",
        views.RegistrationCancelView.as_view(),
        name="registration-cancel",
    ),
    path(
        "projects/<int:project_pk>/registrations/<int:pk>/transfer/",
        views.RegistrationTransferView.as_view(),
        name="registration-transfer",
    ),
    path(
        "projects/<int:project_pk>/registrations/<int:pk>/edit/",
        views.RegistrationEditView.as_view(),
        name="registration-edit",
    ),
    path("projects/<int:project_pk>/items/new/", views.ItemAddView.as_view(), name="item-add"),
    path(
        "projects/<int:project_pk>/purchase-orders/new/",
        views.PurchaseOrderFormView.as_view(),
        name="purchase-order-create",
    ),
    path(
        "projects/<int:project_pk>/phases/new/", views.PhaseFormView.as_view(), name="phase-create"
    ),
    path(
        "projects/<int:project_pk>/phases/<int:pk>/edit/",
        views.PhaseFormView.as_view(),
        name="phase-edit",
    ),
    path(
        "projects/<int:project_pk>/phases/<int:phase_pk>/milestones/new/",
        views.MilestoneFormView.as_view(),
        name="milestone-create",
    ),
    path(
        "projects/<int:project_pk>/phases/<int:phase_pk>/milestones/<int:pk>/edit/",
        views.MilestoneFormView.as_view(),
        name="milestone-edit",
    ),
    path(
        "projects/<int:project_pk>/phases/<int:pk>/delete/",
        views.PhaseDeleteView.as_view(),
        name="phase-delete",
    ),
    path(
        "projects/<int:project_pk>/phases/<int:phase_pk>/milestones/<int:pk>/delete/",
        views.MilestoneDeleteView.as_view(),
        name="milestone-delete",
    ),
    path(
        "projects/<int:project_pk>/copy-lines/",
        views.CopyLinesView.as_view(),
        name="copy-lines",
    ),
    path(
        "projects/<int:project_pk>/funders/new/",
        views.FunderFormView.as_view(),
        name="funder-create",
    ),
    path(
        "projects/<int:project_pk>/funders/<int:pk>/edit/",
        views.FunderFormView.as_view(),
        name="funder-edit",
    ),
    path(
        "projects/<int:project_pk>/funders/<int:pk>/delete/",
        views.FunderDeleteView.as_view(),
        name="funder-delete",
    ),
    path("projects/<int:pk>/<slug:tab>/", views.ProjectDetailView.as_view(), name="project-tab"),
    path(
        "project-documents/<int:pk>/download/",
        views.ProjectDocumentDownloadView.as_view(),
        name="document-download",
    ),
    path(
        "project-documents/<int:pk>/delete/",
        views.ProjectDocumentDeleteView.as_view(),
        name="document-delete",
    ),
]
