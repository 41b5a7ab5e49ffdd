from django.urls import path

from accounts import group_views, views, views_saved

app_name = "accounts"

urlpatterns = [
    path("accounts/", views.AccountListView.as_view(), name="account-list"),
    path("accounts/options/", views.AccountOptionsView.as_view(), name="account-options"),
    path("contacts/options/", views.ContactOptionsView.as_view(), name="contact-options"),
    path("accounts/new/", views.AccountFormView.as_view(), name="account-create"),
    path("accounts/<int:pk>/", views.AccountDetailView.as_view(), name="account-detail"),
    path("accounts/<int:pk>/edit/", views.AccountFormView.as_view(), name="account-edit"),
    path("accounts/<int:pk>/<slug:tab>/", views.AccountDetailView.as_view(), name="account-tab"),
    path(
        "accounts/<int:account_pk>/contacts/new/",
        views.ContactFormView.as_view(),
        name="contact-create",
    ),
    path(
        "accounts/<int:account_pk>/contacts/<int:pk>/edit/",
        views.ContactFormView.as_view(),
        name="contact-edit",
    ),
    path(
        "accounts/<int:account_pk>/contacts/<int:pk>/delete/",
        views.ContactDeleteView.as_view(),
        name="contact-delete",
    ),
    path("search/", views.SearchView.as_view(), name="search"),
    path("views/", views_saved.SavedViewMenuView.as_view(), name="saved-view-menu"),
    path("views/save/", views_saved.SavedViewSaveView.as_view(), name="saved-view-save"),
    path(
        "views/<int:pk>/delete/",
        views_saved.SavedViewDeleteView.as_view(),
        name="saved-view-delete",
    ),
    path("regions/", views.RegionListView.as_view(), name="region-list"),
    path("settings/", views.TenantSettingsView.as_view(), name="settings"),
    path("settings/members/", views.MembersView.as_view(), name="members"),
    path("settings/members/<int:pk>/role/", views.MemberRoleView.as_view(), name="member-role"),
    path(
        "settings/members/<int:pk>/remove/", views.MemberRemoveView.as_view(), name="member-remove"
    ),
    path("settings/groups/", group_views.MemberGroupListView.as_view(), name="member-groups"),
    path(
        "settings/groups/<int:pk>/edit/",
        group_views.MemberGroupEditView.as_view(),
        name="member-group-edit",
    ),
    path("settings/bank-accounts/", views.BankAccountListView.as_view(), name="bank-accounts"),
    path(
        "settings/bank-accounts/<int:pk>/edit/",
        views.BankAccountEditView.as_view(),
        name="bank-account-edit",
    ),
    path(
        "settings/bank-accounts/<int:pk>/deactivate/",
        views.BankAccountDeactivateView.as_view(),
        name="bank-account-deactivate",
    ),
    path("settings/admin/", views.AdminSwitchView.as_view(), name="admin-switch"),
]
