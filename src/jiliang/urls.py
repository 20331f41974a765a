from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/", include("jiliang.calculations.api.urls")),
    path("api/", include("jiliang.traceability.api.urls")),
    path("api/", include("jiliang.certificates.api.urls")),
    path("api/", include("jiliang.supervision.prepack.api.urls")),
    path("api/", include("jiliang.comparisons.api.urls")),
    path("api/", include("jiliang.registry.api.urls")),
    path("certificates/", include("jiliang.certificates.urls")),
    path("prepack/", include("jiliang.supervision.prepack.urls")),
    path("comparisons/", include("jiliang.comparisons.urls")),
    path("", include("jiliang.registry.urls")),
]
