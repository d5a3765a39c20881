from django.urls import path

from reports import views

urlpatterns = [
    path("trigger_report", views.TriggerReportView.as_view(), name="trigger-report"),
    path("get_report", views.GetReportView.as_view(), name="get-report"),
    path("get_report/<str:report_id>", views.GetReportByPathView.as_view(), name="get-report-path"),
    path("api/reports/", views.ReportListView.as_view(), name="report-list"),
]
