from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
# The busiest tables first: a request is matched against the routes in this order.
router.register("instruments", views.InstrumentViewSet, basename="instrument")
router.register("events", views.EventViewSet, basename="event")
router.register("regions", views.RegionViewSet, basename="region")
router.register("fields", views.MetrologyFieldViewSet, basename="field")
router.register("quantities", views.QuantityViewSet, basename="quantity")
router.register("specifications", views.SpecificationViewSet, basename="specification")
router.register("catalog-items", views.CatalogItemViewSet, basename="catalog-item")
router.register("type-approvals", views.TypeApprovalViewSet, basename="type-approval")
router.register("primary-standards", views.PrimaryStandardViewSet, basename="primary-standard")
router.register("organisations", views.OrganisationViewSet, basename="organisation")
router.register("standards", views.StandardViewSet, basename="standard")
router.register("reference-materials", views.ReferenceMaterialViewSet, basename="reference-material")
router.register("people", views.PersonViewSet, basename="person")
router.register("qualifications", views.QualificationViewSet, basename="qualification")

# Included in the ``api`` namespace by ``jiliang.api_urls`` (with the accounts' routes).
urlpatterns = [
    path("", include(router.urls)),
]
