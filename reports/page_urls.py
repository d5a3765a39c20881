from django.urls import path

from reports.pages import IndexView, ReportPageView

urlpatterns = [
    path("", IndexView.as_view(), name="index"),
    path("reports/<str:report_id>", ReportPageView.as_view(), name="report-page"),
]
