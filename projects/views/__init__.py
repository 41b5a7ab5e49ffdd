"""The pages of projects, one module per part: `pages` (list, form, detail, status, copy),
`tab_contexts` (what each tab shows), `rows` (events, registrations, items, purchase orders,
the registrations import), `cancellations` (cancel, no-show, transfer), `documents` and
`settings` (the company's project settings). Views parse, call a service or selector, render."""

from projects.views.calendar import CalendarView
from projects.views.cancellations import RegistrationCancelView, RegistrationTransferView
from projects.views.documents import (
    ProjectDocumentDeleteView,
    ProjectDocumentDownloadView,
    ProjectDocumentUploadView,
)
from projects.views.funders import FunderDeleteView, FunderFormView
from projects.views.pages import (
    ProjectCopyView,
    ProjectDetailView,
    ProjectFormView,
    ProjectListView,
    ProjectOptionsView,
    ProjectStatusView,
    tab_url,
)
from projects.views.phases import (
    CopyLinesView,
    MilestoneDeleteView,
    MilestoneFormView,
    PhaseDeleteView,
    PhaseFormView,
)
from projects.views.rows import (
    EventFormView,
    ItemAddView,
    PurchaseOrderFormView,
    RegistrationAddView,
    RegistrationBulkStatusView,
    RegistrationEditView,
    RegistrationImportView,
)
from projects.views.settings import ProjectSettingsView
from projects.views.sharing import (
    ProjectClassEditView,
    ProjectClassListView,
    ProjectCurrencyView,
    ProjectSharingView,
)
from projects.views.tab_contexts import (
    account_projects_context,
    booking_projects_context,
    documents_context,
    events_context,
    items_context,
    overview_context,
    registrations_context,
)

__all__ = [
    "CalendarView",
    "CopyLinesView",
    "EventFormView",
    "FunderDeleteView",
    "FunderFormView",
    "ItemAddView",
    "MilestoneDeleteView",
    "MilestoneFormView",
    "PhaseDeleteView",
    "PhaseFormView",
    "ProjectClassEditView",
    "ProjectClassListView",
    "ProjectCopyView",
    "ProjectCurrencyView",
    "ProjectDetailView",
    "ProjectDocumentDeleteView",
    "ProjectDocumentDownloadView",
    "ProjectDocumentUploadView",
    "ProjectFormView",
    "ProjectListView",
    "ProjectOptionsView",
    "ProjectSettingsView",
    "ProjectSharingView",
    "ProjectStatusView",
    "PurchaseOrderFormView",
    "RegistrationAddView",
    "RegistrationBulkStatusView",
    "RegistrationCancelView",
    "RegistrationEditView",
    "RegistrationImportView",
    "RegistrationTransferView",
    "account_projects_context",
    "booking_projects_context",
    "documents_context",
    "events_context",
    "items_context",
    "overview_context",
    "registrations_context",
    "tab_url",
]
