from django.urls import path

from reports.pages import IndexView
from reports.store_pages import StorePageView

urlpatterns = [
    path("", IndexView.as_view(), name="index"),
    path("stores/<str:store_id>", StorePageView.as_view(), name="store-page"),
]
