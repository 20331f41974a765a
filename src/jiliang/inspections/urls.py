"""Inspection pages, relative: include under "inspections/"."""

from django.urls import path

from . import views

app_name = "inspections"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("today/", views.today, name="today"),
    path("<int:pk>/", views.inspection_page, name="inspection"),
    path("<int:pk>/record/", views.record, name="record"),
    path("<int:pk>/sign/", views.sign, name="sign"),
    path("<int:pk>/publish/", views.publish, name="publish"),
    path("<int:pk>/photos/<int:photo_id>/", views.photo, name="photo"),
    path("orders/<int:pk>/follow-up/", views.follow_up, name="follow-up"),
    path("draws/", views.public_draws, name="draws"),
    path("draws/<int:pk>/", views.draw_page, name="draw"),
    path("draws/<int:pk>/plan.json", views.draw_document, name="draw-json"),
    path("draws/<int:pk>/perform/", views.perform, name="perform"),
]
