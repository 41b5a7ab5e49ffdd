from django.urls import path

from agreements import cancellation_views, prepurchase_views, uplift_views, views

app_name = "agreements"

urlpatterns = [
    path("products/", views.ProductListView.as_view(), name="product-list"),
    path("products/new/", views.ProductFormView.as_view(), name="product-create"),
    path("products/<int:pk>/edit/", views.ProductFormView.as_view(), name="product-edit"),
    path("catalogue/setup/", views.CatalogueSetupView.as_view(), name="catalogue-setup"),
    path("price-lists/", views.PriceListListView.as_view(), name="pricelist-list"),
    path("price-lists/new/", views.PriceListFormView.as_view(), name="pricelist-create"),
    path("price-lists/<int:pk>/", views.PriceListDetailView.as_view(), name="pricelist-detail"),
    path("price-lists/<int:pk>/edit/", views.PriceListFormView.as_view(), name="pricelist-edit"),
    path(
        "price-lists/<int:pk>/import/", views.PriceListImportView.as_view(), name="pricelist-import"
    ),
    path(
        "price-lists/<int:pk>/export.<str:file_format>",
        views.PriceListExportView.as_view(),
        name="pricelist-export",
    ),
    path("bookings/", views.BookingListView.as_view(), name="booking-list"),
    path("bookings/new/", views.BookingFormView.as_view(), name="booking-create"),
    path("bookings/<int:pk>/", views.BookingDetailView.as_view(), name="booking-detail"),
    path("bookings/<int:pk>/edit/", views.BookingFormView.as_view(), name="booking-edit"),
    path(
        "bookings/<int:pk>/interests/save/",
        views.BookingInterestsView.as_view(),
        name="booking-interests",
    ),
    path(
        "bookings/<int:pk>/uplifts/save/",
        uplift_views.BookingUpliftsView.as_view(),
        name="booking-uplifts",
    ),
    path(
        "bookings/<int:pk>/documents/upload/",
        views.DocumentUploadView.as_view(),
        name="document-upload",
    ),
    path(
        "bookings/<int:pk>/cancellation-terms/",
        cancellation_views.BookingCancellationTermsView.as_view(),
        name="booking-terms",
    ),
    path(
        "bookings/<int:pk>/cancellation-terms/remove/",
        cancellation_views.BookingTermsRemoveView.as_view(),
        name="booking-terms-remove",
    ),
    path(
        "cancellation-terms/",
        cancellation_views.CancellationTermsView.as_view(),
        name="cancellation-terms",
    ),
    path("bookings/<int:pk>/<slug:tab>/", views.BookingDetailView.as_view(), name="booking-tab"),
    path(
        "documents/<int:pk>/download/",
        views.DocumentDownloadView.as_view(),
        name="document-download",
    ),
    path("documents/<int:pk>/delete/", views.DocumentDeleteView.as_view(), name="document-delete"),
    path("discounts/", views.DiscountListView.as_view(), name="discount-list"),
    path("discounts/new/", views.DiscountFormView.as_view(), name="discount-create"),
    path("discounts/<int:pk>/edit/", views.DiscountFormView.as_view(), name="discount-edit"),
    path("prepurchases/", prepurchase_views.PrepurchaseListView.as_view(), name="prepurchase-list"),
    path(
        "prepurchases/new/",
        prepurchase_views.PrepurchaseFormView.as_view(),
        name="prepurchase-create",
    ),
    path(
        "prepurchases/<int:pk>/",
        prepurchase_views.PrepurchaseDetailView.as_view(),
        name="prepurchase-detail",
    ),
    path(
        "prepurchases/<int:pk>/edit/",
        prepurchase_views.PrepurchaseFormView.as_view(),
        name="prepurchase-edit",
    ),
    path(
        "prepurchases/charges/<int:pk>/extend/",
        prepurchase_views.ChargeExtendView.as_view(),
        name="prepurchase-charge-extend",
    ),
    path(
        "prepurchases/charges/<int:pk>/write-off/",
        prepurchase_views.ChargeWriteOffView.as_view(),
        name="prepurchase-charge-write-off",
    ),
]
