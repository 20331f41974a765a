"""Standard reference data API routes, relative: include under "api/"."""

from django.urls import path

from . import views

app_name = "refdata-api"

ID = "<str:identifier>"

urlpatterns = [
    path("refdata/versions/", views.VersionList.as_view(), name="versions"),
    path("refdata/resolve/", views.Resolve.as_view(), name="resolve"),
    path(f"refdata/versions/{ID}/", views.VersionDetail.as_view(), name="version"),
    path(f"refdata/versions/{ID}/export.<str:fmt>", views.VersionExport.as_view(), name="export"),
    path(f"refdata/versions/{ID}/submit/", views.Submit.as_view(), name="submit"),
    path(f"refdata/versions/{ID}/approve/", views.Approve.as_view(), name="approve"),
    path(f"refdata/versions/{ID}/return/", views.Return.as_view(), name="return"),
]
