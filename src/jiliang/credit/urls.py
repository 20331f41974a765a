"""Credit pages, relative: include under "credit/"."""

from django.urls import path

from . import views

app_name = "credit"

urlpatterns = [
    path("", views.home, name="home"),
    path("rules/", views.rules, name="rules"),
    path("organisations/<int:pk>/", views.organisation, name="organisation"),
    path("organisations/<int:pk>/<str:what>/", views.file_request, name="file"),
    path("requests/<str:what>/<int:pk>/decide/", views.decide, name="decide"),
]
