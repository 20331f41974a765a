"""Institutions' capability and supervision pages, relative: include under "institutions/"."""

from django.urls import path

from . import views

app_name = "institutions"

urlpatterns = [
    path("", views.institution_list, name="list"),
    path("mine/", views.mine, name="mine"),
    path("people/", views.people, name="people"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/visits/", views.visit_record, name="visit-record"),
    path("<int:pk>/declarations/", views.declare, name="declare"),
    path("<int:pk>/evaluations/", views.evaluate, name="evaluate"),
    path("visits/<int:pk>/close/", views.visit_close, name="visit-close"),
    path("findings/<int:pk>/rectified/", views.finding_rectified, name="finding-rectified"),
]
