"""Energy pages, relative: include under "energy/"."""

from django.urls import path

from . import views

app_name = "energy"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("mine/", views.mine, name="mine"),
    path("units/<int:pk>/", views.unit_page, name="unit"),
    path("reviews/<int:pk>/", views.review_page, name="review"),
    path("reviews/<int:pk>/report.xlsx", views.review_xlsx, name="review-xlsx"),
    path("reviews/<int:pk>/report.pdf", views.review_pdf, name="review-pdf"),
    path("overview.xlsx", views.overview_xlsx, name="overview-xlsx"),
]
