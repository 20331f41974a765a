"""The project's URLs plus the verification API, as the lead will include it."""

from django.urls import include, path

from jiliang.urls import urlpatterns as project_urlpatterns

urlpatterns = [path("api/verification/", include("jiliang.verification.api.urls")), *project_urlpatterns]
