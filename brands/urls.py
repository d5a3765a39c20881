"""The brands API's URLs, under /api/brands/ (loopmonitor/urls.py)."""

from django.urls import path

from brands import views

urlpatterns = [
    path("", views.BrandListView.as_view(), name="brand-list"),
]
