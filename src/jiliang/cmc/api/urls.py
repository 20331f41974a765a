"""CMC and KCDB API routes, relative: include under "api/"."""

from django.urls import path

from . import views

app_name = "cmc-api"

urlpatterns = [
    path("cmc/kcdb/cmcs/", views.KcdbCmcList.as_view(), name="kcdb-cmcs"),
    path("cmc/kcdb/files/<str:name>/export/", views.KcdbFileExport.as_view(), name="kcdb-file-export"),
    path("cmc/kcdb/comparisons/", views.KcdbComparisonList.as_view(), name="kcdb-comparisons"),
    path("cmc/kcdb/comparisons/<str:code>/export/", views.KcdbComparisonExport.as_view(), name="kcdb-comparison-export"),
    path("cmc/claims/", views.ClaimList.as_view(), name="claims"),
    path("cmc/claims/new/", views.ClaimDeclare.as_view(), name="claim-declare"),
    path("cmc/claims/<int:pk>/", views.ClaimDetail.as_view(), name="claim"),
    path("cmc/claims/<int:pk>/supporting/", views.ClaimSupport.as_view(), name="claim-support"),
    path("cmc/claims/<int:pk>/kcdb/", views.ClaimAgainstKcdb.as_view(), name="claim-kcdb"),
    path("cmc/claims/<int:pk>/submit/", views.ClaimSubmit.as_view(), name="claim-submit"),
    path("cmc/claims/<int:pk>/approve/", views.ClaimApprove.as_view(), name="claim-approve"),
    path("cmc/claims/<int:pk>/return/", views.ClaimReturn.as_view(), name="claim-return"),
]
