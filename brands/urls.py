"""The brands API, under /api/brands/ (loopmonitor/urls.py)."""

from django.urls import path

from brands import admin_views, views

urlpatterns = [
    path("", views.BrandListView.as_view(), name="brand-list"),
    # brand administration
    path("<str:slug>/keys/", admin_views.KeyListView.as_view(), name="brand-keys"),
    path("<str:slug>/keys/<str:prefix>", admin_views.KeyDetailView.as_view(), name="brand-key"),
    path("<str:slug>/members/", admin_views.MemberListView.as_view(), name="brand-members"),
    path("<str:slug>/members/<str:username>", admin_views.MemberDetailView.as_view(), name="brand-member"),
    path("<str:slug>/audit/", admin_views.AuditListView.as_view(), name="brand-audit"),
]
