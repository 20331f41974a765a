from django.urls import path

from . import views

app_name = "registry"

urlpatterns = [
    path("", views.home, name="home"),
    path("regions/", views.RegionList.as_view(), name="regions"),
    path("regions/<str:code>/", views.region_detail, name="region"),
    path("organisations/", views.OrganisationList.as_view(), name="organisations"),
    path("organisations/<int:pk>/", views.organisation_detail, name="organisation"),
    path("specifications/", views.SpecificationList.as_view(), name="specifications"),
    path("specifications/<int:pk>/", views.specification_detail, name="specification"),
    path("catalog/", views.CatalogItemList.as_view(), name="catalog-items"),
    path("catalog/<str:code>/", views.catalog_item_detail, name="catalog-item"),
    path("type-approvals/", views.TypeApprovalList.as_view(), name="type-approvals"),
    path("primary-standards/", views.PrimaryStandardList.as_view(), name="primary-standards"),
    path("primary-standards/<int:pk>/", views.primary_standard_detail, name="primary-standard"),
    path("standards/", views.MeasurementStandardList.as_view(), name="standards"),
    path("standards/<int:pk>/", views.standard_detail, name="standard"),
    path("reference-materials/", views.ReferenceMaterialList.as_view(), name="reference-materials"),
    path("reference-materials/<int:pk>/", views.reference_material_detail, name="reference-material"),
    path("instruments/", views.InstrumentList.as_view(), name="instruments"),
    path("instruments/<int:pk>/", views.instrument_detail, name="instrument"),
    path("events/", views.CalibrationEventList.as_view(), name="events"),
    path("events/<int:pk>/", views.event_detail, name="event"),
]
