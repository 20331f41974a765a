from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path
from django.views.defaults import page_not_found
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    # The registry API first: the busiest routes, tried before the other apps' (their
    # prefixes differ, so the order changes only how many patterns a request is tried against).
    path("api/", include("jiliang.api_urls")),
    path("api/", include("jiliang.calculations.api.urls")),
    path("api/", include("jiliang.traceability.api.urls")),
    path("api/", include("jiliang.certificates.api.urls")),
    path("api/", include("jiliang.supervision.prepack.api.urls")),
    path("api/", include("jiliang.comparisons.api.urls")),
    path("api/", include("jiliang.authorisation.api.urls")),
    path("api/", include("jiliang.checks.api.urls")),
    path("api/", include("jiliang.inspections.api.urls")),
    path("api/", include("jiliang.credit.api.urls")),
    path("api/", include("jiliang.assessment.api.urls")),
    path("api/", include("jiliang.cases.api.urls")),
    path("api/", include("jiliang.energy.api.urls")),
    path("api/", include("jiliang.institutions.api.urls")),
    path("api/", include("jiliang.intervals.api.urls")),
    path("api/", include("jiliang.refdata.api.urls")),
    path("api/", include("jiliang.cmc.api.urls")),
    path("api/verification/", include("jiliang.verification.api.urls")),
    path("api/", include("jiliang.witness.api.urls")),
    path("certificates/", include("jiliang.certificates.urls")),
    path("telemetry/", include("jiliang.supervision.telemetry.urls")),
    path("traceability/", include("jiliang.traceability.urls")),
    path("checks/", include("jiliang.checks.urls")),
    path("inspections/", include("jiliang.inspections.urls")),
    path("credit/", include("jiliang.credit.urls")),
    path("prepack/", include("jiliang.supervision.prepack.urls")),
    path("comparisons/", include("jiliang.comparisons.urls")),
    path("verification/", include("jiliang.verification.urls")),
    path("authorisations/", include("jiliang.authorisation.urls")),
    path("assessment/", include("jiliang.assessment.urls")),
    path("cases/", include("jiliang.cases.urls")),
    path("energy/", include("jiliang.energy.urls")),
    path("institutions/", include("jiliang.institutions.urls")),
    path("intervals/", include("jiliang.intervals.urls")),
    path("federation/", include("jiliang.federation.urls")),
    path("refdata/", include("jiliang.refdata.urls")),
    path("cmc/", include("jiliang.cmc.urls")),
    path("matching/", include("jiliang.matching.urls")),
    path("plans/", include("jiliang.plans.urls")),
    path("accounts/", include("jiliang.accounts.urls")),
    path("dashboard/", include("jiliang.console.urls")),
    path("portal/", include("jiliang.portal.urls")),
    path("witness/", include("jiliang.witness.urls")),
    path("uncertainty/", include("jiliang.calculations.urls")),
    path("", include("jiliang.registry.urls")),
]


def not_found(request, exception):
    """A URL under /api/ that matches no route (say a negative id where the route wants
    digits) answers as the API's own 404s do, in JSON; pages keep the HTML page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "not found: no such API resource"}, status=404)
    return page_not_found(request, exception)


handler404 = not_found
