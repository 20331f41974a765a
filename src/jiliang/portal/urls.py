"""Public portal pages, relative: include under "portal/"."""

from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("capabilities/", views.capability_search, name="search"),
    path("standards/<int:pk>/", views.standard_detail, name="standard"),
    path("complaints/new/", views.complaint_new, name="complaint-new"),
    path("complaints/status/", views.complaint_status, name="complaint-status"),
    path("complaints/", views.complaint_queue, name="complaints"),
    path("complaints/<str:reference>/", views.complaint_detail, name="complaint"),
    path("complaints/<str:reference>/handle/", views.complaint_handle, name="complaint-handle"),
    path("complaints/<str:reference>/photos/<int:photo_id>/", views.complaint_photo, name="complaint-photo"),
]
