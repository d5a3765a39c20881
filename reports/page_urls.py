from django.urls import path

from reports.pages import IndexView, ReportPageView
from reports.store_pages import StorePageView

urlpatterns = [
    path("", IndexView.as_view(), name="index"),
    path("reports/<str:report_id>", ReportPageView.as_view(), name="report-page"),
    path("stores/<str:store_id>", StorePageView.as_view(), name="store-page"),
]
