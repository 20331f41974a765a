from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    # The registry API first: the busiest routes, tried before the other apps' (their
    # prefixes differ, so the order changes only how many patterns a request is tried against).
    path("api/", include("jiliang.registry.api.urls")),
    path("api/", include("jiliang.calculations.api.urls")),
    path("api/", include("jiliang.traceability.api.urls")),
    path("api/", include("jiliang.certificates.api.urls")),
    path("api/", include("jiliang.supervision.prepack.api.urls")),
    path("api/", include("jiliang.comparisons.api.urls")),
    path("api/verification/", include("jiliang.verification.api.urls")),
    path("certificates/", include("jiliang.certificates.urls")),
    path("telemetry/", include("jiliang.supervision.telemetry.urls")),
    path("prepack/", include("jiliang.supervision.prepack.urls")),
    path("comparisons/", include("jiliang.comparisons.urls")),
    path("verification/", include("jiliang.verification.urls")),
    path("accounts/", include("jiliang.accounts.urls")),
    path("dashboard/", include("jiliang.console.urls")),
    path("portal/", include("jiliang.portal.urls")),
    path("uncertainty/", include("jiliang.calculations.urls")),
    path("", include("jiliang.registry.urls")),
]
