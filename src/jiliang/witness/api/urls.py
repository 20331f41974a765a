"""Witness log API routes, relative: include under "api/"."""

from django.urls import path

from . import views

app_name = "witness-api"

urlpatterns = [
    path("witness/sth/", views.SignedTreeHead.as_view(), name="sth"),
    path("witness/inclusion/", views.Inclusion.as_view(), name="inclusion"),
    path("witness/consistency/", views.Consistency.as_view(), name="consistency"),
    path("witness/provinces/<str:province>/ledger/", views.ProvinceLedger.as_view(), name="province-ledger"),
    path("witness/entries/", views.Entries.as_view(), name="entries"),
    path("witness/key/", views.CentreKey.as_view(), name="key"),
]
