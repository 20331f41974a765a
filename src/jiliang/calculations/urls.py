from django.urls import path

from . import views

app_name = "calculations"

urlpatterns = [
    path("", views.uncertainty, name="uncertainty"),
    path("row/", views.uncertainty_row, name="uncertainty-row"),
    path("download/", views.uncertainty_download, name="uncertainty-download"),
]
