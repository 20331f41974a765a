"""Matching pages, relative: include under "matching/"."""

from django.urls import path

from . import views

app_name = "matching"

urlpatterns = [
    path("", views.home, name="home"),
    path("post/", views.post, name="post"),
    path("terms/", views.terms, name="terms"),
    path("read/", views.read, name="read"),
    path("needs/<int:pk>/", views.need_detail, name="need"),
    path("needs/<int:pk>/pick/", views.pick, name="pick"),
    path("needs/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("requests/<int:pk>/", views.request_detail, name="request"),
    path("requests/<int:pk>/act/", views.act, name="act"),
]
