"""Energy pages, relative: include under "energy/"."""

from django.urls import path

from . import views

app_name = "energy"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("mine/", views.mine, name="mine"),
    path("units/<int:pk>/", views.unit_page, name="unit"),
    path("units/<int:pk>/reviews/", views.review_open, name="review-open"),
    path("reviews/<int:pk>/", views.review_page, name="review"),
    path("reviews/<int:pk>/items/", views.review_record, name="review-record"),
    path("reviews/<int:pk>/items/<str:code>/", views.review_item, name="review-item"),
    path("reviews/<int:pk>/rectification/", views.review_rectification, name="review-rectification"),
    path("reviews/<int:pk>/decision/", views.review_decide, name="review-decide"),
    path("findings/<int:pk>/rectification/", views.finding_rectify, name="finding-rectify"),
    path("reviews/<int:pk>/report.xlsx", views.review_xlsx, name="review-xlsx"),
    path("reviews/<int:pk>/report.pdf", views.review_pdf, name="review-pdf"),
    path("overview.xlsx", views.overview_xlsx, name="overview-xlsx"),
]
